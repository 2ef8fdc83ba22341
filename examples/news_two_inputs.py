"""A two-input, two-output model: headline text plus metadata, main and auxiliary outputs.

From the seed tutorials "Keras 模型 API" (函数式模型) and "Sequential 与 Model 模型"
(案例三: 双输入、双模型输出): an Embedding + LSTM over the headline, an auxiliary
sigmoid output on the LSTM, the LSTM output concatenated with 5 extra features, a deep
Dense stack and the main sigmoid output. Compiled first with one loss and
`loss_weights=[1., 0.2]`, then per output name with dicts.

Run: openkeras run examples/news_two_inputs.py --epochs 50 --samples 1000
"""

import argparse

import keras
import numpy as np
from keras.layers import LSTM, Dense, Embedding, Input
from keras.models import Model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=50)
parser.add_argument("--samples", type=int, default=1000)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--maxlen", type=int, default=100, help="words per headline")
args = parser.parse_args()
maxlen = args.maxlen

# Headline input: meant to receive sequences of `maxlen` integers, between 1 and 10000.
# Note that we can name any layer by passing it a "name" argument.
main_input = Input(shape=(maxlen,), dtype="int32", name="main_input")

# This embedding layer will encode the input sequence
# into a sequence of dense 512-dimensional vectors.
x = Embedding(output_dim=512, input_dim=10000, input_length=maxlen)(main_input)

# A LSTM will transform the vector sequence into a single vector,
# containing information about the entire sequence
lstm_out = LSTM(32)(x)

# An auxiliary loss lets the LSTM and Embedding layers train smoothly even though the
# main loss is much higher in the model.
auxiliary_output = Dense(1, activation="sigmoid", name="aux_output")(lstm_out)

# Concatenate the LSTM output with the auxiliary input
auxiliary_input = Input(shape=(5,), name="aux_input")
x = keras.layers.concatenate([lstm_out, auxiliary_input])

# We stack a deep densely-connected network on top
x = Dense(64, activation="relu")(x)
x = Dense(64, activation="relu")(x)
x = Dense(64, activation="relu")(x)

# And finally we add the main logistic regression layer
main_output = Dense(1, activation="sigmoid", name="main_output")(x)

model = Model(inputs=[main_input, auxiliary_input], outputs=[main_output, auxiliary_output])
model.summary()

# Dummy data
headline_data = np.random.randint(1, 10000, size=(args.samples, maxlen))
additional_data = np.random.random((args.samples, 5))
labels = np.random.randint(2, size=(args.samples, 1))

# One loss for both outputs; the auxiliary loss weighs 0.2
model.compile(optimizer="rmsprop", loss="binary_crossentropy", loss_weights=[1., 0.2])
model.fit([headline_data, additional_data], [labels, labels],
          epochs=args.epochs, batch_size=args.batch_size)

# The inputs and outputs are named, so the same can be said with dicts
model.compile(optimizer="rmsprop",
              loss={"main_output": "binary_crossentropy", "aux_output": "binary_crossentropy"},
              loss_weights={"main_output": 1., "aux_output": 0.2})
history = model.fit({"main_input": headline_data, "aux_input": additional_data},
                    {"main_output": labels, "aux_output": labels},
                    epochs=args.epochs, batch_size=args.batch_size)
print("Logged:", sorted(history.history))
main_pred, aux_pred = model.predict([headline_data, additional_data])
print("Predictions:", main_pred.shape, aux_pred.shape)

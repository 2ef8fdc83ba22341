"""A shared LSTM: do two tweets come from the same person? Plus a layer's nodes.

From the seed tutorials "Keras 模型 API" and "Sequential 与 Model 模型" (案例四: 共享层,
案例五: 抽取层节点内容): one LSTM instance encodes both tweets (140 characters, one-hot
over 256 symbols); the encodings are concatenated under a logistic regression. A layer
called on several inputs has several nodes: `get_output_at(i)`, `get_input_shape_at(i)`.

Run: openkeras run examples/shared_lstm_tweets.py --epochs 10 --samples 1000
"""

import argparse

import keras
import numpy as np
from keras.layers import LSTM, Conv2D, Dense, Input
from keras.models import Model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--samples", type=int, default=1000, help="number of tweet pairs")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--length", type=int, default=140, help="characters per tweet")
args = parser.parse_args()

tweet_a = Input(shape=(args.length, 256))
tweet_b = Input(shape=(args.length, 256))

# This layer can take as input a matrix and will return a vector of size 64
shared_lstm = LSTM(64)

# When we reuse the same layer instance multiple times, the weights of the layer
# are also being reused (it is effectively *the same* layer)
encoded_a = shared_lstm(tweet_a)
encoded_b = shared_lstm(tweet_b)

# We can then concatenate the two vectors:
merged_vector = keras.layers.concatenate([encoded_a, encoded_b], axis=-1)

# And add a logistic regression on top
predictions = Dense(1, activation="sigmoid")(merged_vector)

# We define a trainable model linking the tweet inputs to the predictions
model = Model(inputs=[tweet_a, tweet_b], outputs=predictions)
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])

# Dummy one-hot tweets and labels
data_a = keras.utils.to_categorical(np.random.randint(256, size=(args.samples, args.length)), 256)
data_b = keras.utils.to_categorical(np.random.randint(256, size=(args.samples, args.length)), 256)
labels = np.random.randint(2, size=(args.samples, 1))
model.fit([data_a, data_b], labels, epochs=args.epochs, batch_size=args.batch_size)

# The shared LSTM has two nodes: `shared_lstm.output` would be ambiguous.
assert shared_lstm.get_output_at(0) == encoded_a
assert shared_lstm.get_output_at(1) == encoded_b

# The same holds for shapes: one node so far, `input_shape` works...
a = Input(shape=(32, 32, 3))
b = Input(shape=(64, 64, 3))
conv = Conv2D(16, (3, 3), padding="same")
conved_a = conv(a)
assert conv.input_shape == (None, 32, 32, 3)

# ...with two nodes, ask for each node's shape
conved_b = conv(b)
assert conv.get_input_shape_at(0) == (None, 32, 32, 3)
assert conv.get_input_shape_at(1) == (None, 64, 64, 3)
print("Layer nodes: OK")

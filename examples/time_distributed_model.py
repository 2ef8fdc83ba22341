"""Models are callable like layers: reuse a trained classifier on every step of a sequence.

From the seed tutorial "Sequential 与 Model 模型" (Model式模型, 案例一 and 案例二): a
functional three-layer perceptron over 784-dimensional vectors is trained, called on a
new Input like a layer, then applied to every timestep of 20-step sequences with
`TimeDistributed(model)`.

Run: openkeras run examples/time_distributed_model.py --epochs 5 --samples 1000
"""

import argparse

import keras
import numpy as np
from keras.layers import Dense, Input, TimeDistributed
from keras.models import Model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--samples", type=int, default=1000)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--timesteps", type=int, default=20)
args = parser.parse_args()

# This returns a tensor
inputs = Input(shape=(784,))

# a layer instance is callable on a tensor, and returns a tensor
x = Dense(64, activation="relu")(inputs)
x = Dense(64, activation="relu")(x)
predictions = Dense(10, activation="softmax")(x)

# This creates a model that includes the Input layer and three Dense layers
model = Model(inputs=inputs, outputs=predictions)
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])

data = np.random.random((args.samples, 784))
labels = keras.utils.to_categorical(np.random.randint(10, size=args.samples), 10)
model.fit(data, labels, epochs=args.epochs, batch_size=args.batch_size)  # starts training

# A trained model is callable on a tensor, like a layer: this returns the 10-way softmax
x = Input(shape=(784,))
y = model(x)

# Input tensor for sequences of `timesteps` steps, each a 784-dimensional vector
input_sequences = Input(shape=(args.timesteps, 784))

# This applies our previous model to every timestep in the input sequences.
# the output of the previous model was a 10-way softmax,
# so the output of the layer below will be a sequence of `timesteps` vectors of size 10.
processed_sequences = TimeDistributed(model)(input_sequences)
sequence_model = Model(input_sequences, processed_sequences)

sequences = np.random.random((4, args.timesteps, 784))
per_step = sequence_model.predict(sequences)
one_by_one = model.predict(sequences.reshape(-1, 784)).reshape(4, args.timesteps, 10)
print("Output of the sequence model:", per_step.shape)
print("Same as the classifier on each step:", bool(np.allclose(per_step, one_by_one, atol=1e-5)))

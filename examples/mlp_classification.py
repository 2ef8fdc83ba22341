"""Multilayer perceptrons on random data: binary and 10-class classification.

From the seed tutorials "Keras 模型 API" (a single-input model with 10 classes, labels
one-hot encoded with `keras.utils.to_categorical`) and "Sequential 与 Model 模型" (案例一:
binary classification with a sigmoid output).

Run: openkeras run examples/mlp_classification.py --epochs 10 --samples 1000
"""

import argparse

import keras
import numpy as np
from keras.layers import Dense
from keras.models import Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--samples", type=int, default=1000, help="number of training samples")
parser.add_argument("--batch-size", type=int, default=32)
args = parser.parse_args()

# For a single-input model with 2 classes (binary classification):
model = Sequential()
model.add(Dense(32, activation="relu", input_dim=100))
model.add(Dense(1, activation="sigmoid"))
model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])

# Generate dummy data
data = np.random.random((args.samples, 100))
labels = np.random.randint(2, size=(args.samples, 1))

# Train the model, iterating on the data in batches of 32 samples
model.fit(data, labels, epochs=args.epochs, batch_size=args.batch_size)

# For a single-input model with 10 classes (categorical classification):
model = Sequential()
model.add(Dense(32, activation="relu", input_dim=100))
model.add(Dense(10, activation="softmax"))
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])

# Generate dummy data
data = np.random.random((args.samples, 100))
labels = np.random.randint(10, size=(args.samples, 1))

# Convert labels to categorical one-hot encoding
one_hot_labels = keras.utils.to_categorical(labels, num_classes=10)

# Train the model, iterating on the data in batches of 32 samples
model.fit(data, one_hot_labels, epochs=args.epochs, batch_size=args.batch_size)

x_test = np.random.random((args.samples // 5 or 1, 100))
y_test = keras.utils.to_categorical(np.random.randint(10, size=(len(x_test), 1)), num_classes=10)
score = model.evaluate(x_test, y_test, batch_size=args.batch_size)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

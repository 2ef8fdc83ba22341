"""A deep multilayer perceptron on MNIST (our version of Keras's mnist_mlp example).

Two hidden layers of 512 relu units with dropout, RMSprop, categorical crossentropy:
Keras's original reports about 98% test accuracy after 20 epochs.

Run: openkeras run examples/mnist_mlp.py
"""

import argparse

import keras
from keras.datasets import mnist
from keras.layers import Dense, Dropout
from keras.models import Sequential
from keras.optimizers import RMSprop

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--samples", type=int, default=60000, help="use this many training images")
parser.add_argument("--batch-size", type=int, default=128)
args = parser.parse_args()

num_classes = 10

# the data, split between train and test sets
(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, y_train = x_train[: args.samples], y_train[: args.samples]
x_test, y_test = x_test[: max(args.samples // 6, 1)], y_test[: max(args.samples // 6, 1)]

x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# convert class vectors to binary class matrices
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = Sequential()
model.add(Dense(512, activation="relu", input_shape=(784,)))
model.add(Dropout(0.2))
model.add(Dense(512, activation="relu"))
model.add(Dropout(0.2))
model.add(Dense(num_classes, activation="softmax"))
model.summary()

model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])

history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                    verbose=1, validation_data=(x_test, y_test))
score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

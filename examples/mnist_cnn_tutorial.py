"""The tutorial MNIST CNN: two convolutions, max pooling, dropout, Adam.

From the seed tutorial "Keras 学习笔记" (3.1 手写数字识别): `mnist.load_data()`,
`np_utils.to_categorical`, `model.summary()`, `fit(batch_size=32, epochs=5)` and
`evaluate`. As in the tutorial, the pixels are fed unscaled (0-255).

Run: openkeras run examples/mnist_cnn_tutorial.py --epochs 5
"""

import argparse

from keras import Sequential
from keras.datasets import mnist
from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D
from keras.utils import np_utils

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--samples", type=int, default=60000, help="use this many training images")
parser.add_argument("--batch-size", type=int, default=32)
args = parser.parse_args()

# (train inputs, train labels), (test inputs, test labels)
(trainX, trainY), (testX, testY) = mnist.load_data()
trainX, trainY = trainX[: args.samples], trainY[: args.samples]
testX, testY = testX[: max(args.samples // 6, 1)], testY[: max(args.samples // 6, 1)]
print("Train: X=%s, Y=%s" % (trainX.shape, trainY.shape))
print("Test: X=%s, Y=%s" % (testX.shape, testY.shape))

# (n, width, height) -> (n, width, height, depth)
X_train = trainX.reshape(trainX.shape[0], 28, 28, 1)
X_test = testX.reshape(testX.shape[0], 28, 28, 1)

# class vectors -> one-hot class matrices
Y_train = np_utils.to_categorical(trainY, 10)
Y_test = np_utils.to_categorical(testY, 10)

model = Sequential()
model.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
model.add(Conv2D(32, kernel_size=(3, 3), activation="relu"))
model.add(MaxPool2D(pool_size=(2, 2)))
model.add(Dropout(0.25))
model.add(Flatten())
model.add(Dense(128, activation="relu"))
model.add(Dropout(0.5))
model.add(Dense(10, activation="softmax"))

model.summary()

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X_train, Y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=1)

score = model.evaluate(X_test, Y_test, verbose=0)
print(score)
print("Test accuracy:", score[1])

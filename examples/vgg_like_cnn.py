"""A VGG-like convnet on random images, trained with SGD (Nesterov momentum, decay).

From the seed tutorial "Sequential 与 Model 模型" (案例二: 多分类-VGG的卷积神经网络) and
"Keras 模型 API" (卷积神经网络): 100x100 RGB images, 10 classes, labels one-hot encoded
with `keras.utils.to_categorical`, `SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)`.

Run: openkeras run examples/vgg_like_cnn.py --epochs 10 --samples 100
"""

import argparse

import keras
import numpy as np
from keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from keras.models import Sequential
from keras.optimizers import SGD

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--samples", type=int, default=100, help="number of training images")
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--image-size", type=int, default=100, help="height and width of the images")
args = parser.parse_args()
size = args.image_size

# Generate dummy data: images of size x size pixels with 3 channels
x_train = np.random.random((args.samples, size, size, 3))
y_train = keras.utils.to_categorical(np.random.randint(10, size=(args.samples, 1)), num_classes=10)
n_test = max(args.samples // 5, 1)
x_test = np.random.random((n_test, size, size, 3))
y_test = keras.utils.to_categorical(np.random.randint(10, size=(n_test, 1)), num_classes=10)

model = Sequential()
# input: size x size images with 3 channels -> (size, size, 3) tensors.
# this applies 32 convolution filters of size 3x3 each.
model.add(Conv2D(32, (3, 3), activation="relu", input_shape=(size, size, 3)))
model.add(Conv2D(32, (3, 3), activation="relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))

model.add(Conv2D(64, (3, 3), activation="relu"))
model.add(Conv2D(64, (3, 3), activation="relu"))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))

model.add(Flatten())
model.add(Dense(256, activation="relu"))
model.add(Dropout(0.5))
model.add(Dense(10, activation="softmax"))
model.summary()

sgd = SGD(lr=0.01, decay=1e-6, momentum=0.9, nesterov=True)
model.compile(loss="categorical_crossentropy", optimizer=sgd)

model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs)
score = model.evaluate(x_test, y_test, batch_size=args.batch_size)
print("Test loss:", score)

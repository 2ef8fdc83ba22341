"""An Inception module: parallel 1x1, 3x3, 5x5 and pooling towers, concatenated.

From the seed tutorial "Keras 模型 API" (Inception 模型). The tutorial concatenates on
`axis=1`, written for channels-first images; with the channels-last (256, 256, 3) input
it uses, the channel axis is the last one, so this script concatenates on `axis=-1`.
A pooling + softmax head trains the module briefly on random images.

Run: openkeras run examples/inception_module.py --epochs 2 --samples 64
"""

import argparse

import keras
import numpy as np
from keras.layers import Conv2D, Dense, GlobalAveragePooling2D, Input, MaxPooling2D
from keras.models import Model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--samples", type=int, default=64)
parser.add_argument("--batch-size", type=int, default=16)
parser.add_argument("--image-size", type=int, default=256, help="height and width of the images")
args = parser.parse_args()
size = args.image_size

input_img = Input(shape=(size, size, 3))

tower_1 = Conv2D(64, (1, 1), padding="same", activation="relu")(input_img)
tower_1 = Conv2D(64, (3, 3), padding="same", activation="relu")(tower_1)

tower_2 = Conv2D(64, (1, 1), padding="same", activation="relu")(input_img)
tower_2 = Conv2D(64, (5, 5), padding="same", activation="relu")(tower_2)

tower_3 = MaxPooling2D((3, 3), strides=(1, 1), padding="same")(input_img)
tower_3 = Conv2D(64, (1, 1), padding="same", activation="relu")(tower_3)

output = keras.layers.concatenate([tower_1, tower_2, tower_3], axis=-1)
print("Inception module output:", keras.backend.int_shape(output))

predictions = Dense(10, activation="softmax")(GlobalAveragePooling2D()(output))
model = Model(input_img, predictions)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

x = np.random.random((args.samples, size, size, 3))
y = keras.utils.to_categorical(np.random.randint(10, size=args.samples), 10)
model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size)

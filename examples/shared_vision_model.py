"""A shared vision model: are two digit images the same digit?

From the seed tutorial "Keras 模型 API" (共享视觉模型): a small convnet is wrapped in a
Model and called on two inputs, so both images go through the same weights; the two
encodings are concatenated under a sigmoid. The tutorial gives only the model; here it
trains briefly on random 27x27 images.

Run: openkeras run examples/shared_vision_model.py --epochs 5 --samples 500
"""

import argparse

import keras
import numpy as np
from keras.layers import Conv2D, Dense, Flatten, Input, MaxPooling2D
from keras.models import Model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--samples", type=int, default=500, help="number of image pairs")
parser.add_argument("--batch-size", type=int, default=32)
args = parser.parse_args()

# First, define the vision modules
digit_input = Input(shape=(27, 27, 1))
x = Conv2D(64, (3, 3))(digit_input)
x = Conv2D(64, (3, 3))(x)
x = MaxPooling2D((2, 2))(x)
out = Flatten()(x)

vision_model = Model(digit_input, out)

# Then define the tell-digits-apart model
digit_a = Input(shape=(27, 27, 1))
digit_b = Input(shape=(27, 27, 1))

# The vision model will be shared, weights and all
out_a = vision_model(digit_a)
out_b = vision_model(digit_b)

concatenated = keras.layers.concatenate([out_a, out_b])
out = Dense(1, activation="sigmoid")(concatenated)

classification_model = Model([digit_a, digit_b], out)
classification_model.summary()
classification_model.compile(optimizer="rmsprop", loss="binary_crossentropy",
                             metrics=["accuracy"])

images_a = np.random.random((args.samples, 27, 27, 1))
images_b = np.random.random((args.samples, 27, 27, 1))
same = np.random.randint(2, size=(args.samples, 1))
classification_model.fit([images_a, images_b], same, epochs=args.epochs,
                         batch_size=args.batch_size)

# The vision model is a model of its own: it encodes single images too
encoded = vision_model.predict(images_a[:4])
print("Shared encoding shape:", encoded.shape)

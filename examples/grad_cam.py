"""Grad-CAM: where a convnet looks, from the gradient of a class score w.r.t. a conv layer.

The classic Keras 2 recipe: `K.gradients(model.output[:, c], last_conv.output)`, pooled per
channel, weighting the conv layer's feature maps; evaluated with `K.function`. The convnet is
trained for a moment on random images whose class is where a bright square sits.

Run: openkeras run examples/grad_cam.py --epochs 5 --samples 2000
"""

import argparse

import numpy as np
from keras import backend as K
from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
from keras.models import Sequential

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--samples", type=int, default=2000, help="number of training images")
parser.add_argument("--batch-size", type=int, default=32)
args = parser.parse_args()

size, classes = 16, 4
rng = np.random.default_rng(0)
labels = rng.integers(0, classes, args.samples)
images = rng.uniform(0, 0.2, (args.samples, size, size, 1)).astype("float32")
for image, label in zip(images, labels, strict=True):  # class k: a bright square in quadrant k
    row, col = divmod(int(label), 2)
    image[row * 8 + 2:row * 8 + 6, col * 8 + 2:col * 8 + 6] = 1.0

model = Sequential([
    Conv2D(8, 3, activation="relu", padding="same", input_shape=(size, size, 1)),
    Conv2D(8, 3, activation="relu", padding="same", name="last_conv"),
    MaxPooling2D(2),
    Flatten(),
    Dense(classes, activation="softmax"),
])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(images, labels, epochs=args.epochs, batch_size=args.batch_size, verbose=2)

x = images[:1]
c = int(np.argmax(model.predict(x)[0]))
class_output = model.output[:, c]
last_conv = model.get_layer("last_conv")
grads = K.gradients(class_output, last_conv.output)[0]
pooled_grads = K.mean(grads, axis=(0, 1, 2))
iterate = K.function([model.input], [pooled_grads, last_conv.output[0]])
pooled_value, conv_value = iterate([x])
heatmap = np.maximum(np.mean(conv_value * pooled_value, axis=-1), 0)
heatmap /= max(float(heatmap.max()), 1e-8)
print("Predicted class:", c, "true class:", int(labels[0]))
peak = tuple(int(i) for i in np.unravel_index(heatmap.argmax(), heatmap.shape))
print("Grad-CAM heatmap:", heatmap.shape, "peak at", peak)

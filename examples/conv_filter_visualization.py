"""Visualizing what convnet filters respond to, by gradient ascent in input space.

As Keras 2's conv_filter_visualization: for each filter of a conv layer, the loss is the
filter's mean activation, `K.gradients(loss, input_img)[0]` normalized by its L2 norm, and a
`K.function([input_img], [loss, grads])` drives gradient ascent from a gray noise image;
the filters with the highest final activation are kept. To need no download, the convnet
is a small one trained for a moment on random data instead of ImageNet VGG16.

Run: openkeras run examples/conv_filter_visualization.py --epochs 20 --samples 256
"""

import argparse

import numpy as np
from keras import backend as K
from keras.layers import Conv2D, Dense, GlobalAveragePooling2D, Input
from keras.models import Model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=20, help="gradient ascent steps")
parser.add_argument("--samples", type=int, default=256, help="training images for the convnet")
parser.add_argument("--size", type=int, default=32, help="image height and width")
parser.add_argument("--filters", type=int, default=8)
args = parser.parse_args()

img_width = img_height = args.size
inputs = Input((img_height, img_width, 3))
x = Conv2D(16, 3, activation="relu", padding="same", name="block1_conv1")(inputs)
x = Conv2D(args.filters, 3, activation="relu", padding="same", name="block1_conv2")(x)
model = Model(inputs, Dense(2, activation="softmax")(GlobalAveragePooling2D()(x)))
model.compile("adam", "categorical_crossentropy")
rng = np.random.default_rng(0)
model.fit(rng.random((args.samples, img_height, img_width, 3)).astype("float32"),
          np.eye(2)[rng.integers(0, 2, args.samples)], epochs=1, verbose=0)
model.summary()

input_img = model.input
layer_dict = {layer.name: layer for layer in model.layers[1:]}
layer_name = "block1_conv2"


def normalize(x):
    """Utility function to normalize a tensor by its L2 norm."""
    return x / (K.sqrt(K.mean(K.square(x))) + K.epsilon())


def deprocess_image(x):
    """Convert a float image into a valid uint8 image."""
    x = x - x.mean()
    x = x / (x.std() + K.epsilon()) * 0.25 + 0.5
    return (np.clip(x, 0, 1) * 255).astype("uint8")


kept_filters = []
for filter_index in range(args.filters):
    layer_output = layer_dict[layer_name].output
    loss = K.mean(layer_output[:, :, :, filter_index])
    grads = normalize(K.gradients(loss, input_img)[0])
    iterate = K.function([input_img], [loss, grads])

    step = 1.0
    input_img_data = rng.random((1, img_height, img_width, 3)).astype("float32")
    input_img_data = (input_img_data - 0.5) * 20 + 128
    start_value = None
    for _ in range(args.epochs):
        loss_value, grads_value = iterate([input_img_data])
        start_value = loss_value if start_value is None else start_value
        input_img_data += grads_value * step
    print(f"Filter {filter_index}: activation {float(start_value):.3f} -> {float(loss_value):.3f}")
    if loss_value > 0:
        kept_filters.append((deprocess_image(input_img_data[0]), float(loss_value)))

kept_filters.sort(key=lambda item: item[1], reverse=True)
print(f"Kept {len(kept_filters)} filters; best image: "
      f"{kept_filters[0][0].shape if kept_filters else None}")

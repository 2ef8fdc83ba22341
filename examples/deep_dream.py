"""Deep Dream: amplify what a convnet's layers see, by gradient ascent over several octaves.

As Keras 2's deep_dream: the loss is a weighted sum of the L2 norms of chosen layers'
activations (borders excluded), its gradient w.r.t. the image normalized by its mean
absolute value, and `K.function([dream], [loss, grads])` drives gradient ascent on the image
at successively larger scales ("octaves"), re-injecting the detail lost by upscaling. To
need no download, the convnet is a small fully-convolutional one with random weights
(instead of ImageNet InceptionV3) and the picture is generated; the model takes images of
any size, as the classic's does.

Run: openkeras run examples/deep_dream.py --epochs 20 --samples 3 --size 96
"""

import argparse

import numpy as np
import scipy.ndimage
from keras import backend as K
from keras.layers import Conv2D, Input, MaxPooling2D
from keras.models import Model

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=20, help="gradient ascent steps per octave")
parser.add_argument("--samples", type=int, default=3, help="number of octaves")
parser.add_argument("--size", type=int, default=96, help="image height and width")
parser.add_argument("--step", type=float, default=0.01)
args = parser.parse_args()

settings = {"features": {"mixed2": 0.2, "mixed3": 0.5, "mixed4": 2.0}}

dream = Input((None, None, 3))
x = Conv2D(16, 3, activation="relu", padding="same", name="mixed2")(dream)
x = MaxPooling2D(2)(x)
x = Conv2D(32, 3, activation="relu", padding="same", name="mixed3")(x)
x = Conv2D(32, 3, activation="relu", padding="same", name="mixed4")(x)
model = Model(dream, x)
layer_dict = {layer.name: layer for layer in model.layers}

loss = K.variable(0.0)
for layer_name, coeff in settings["features"].items():
    x = layer_dict[layer_name].output
    scaling = K.prod(K.cast(K.shape(x), "float32"))
    # avoid border artifacts by only involving non-border pixels in the loss
    loss = loss + coeff * K.sum(K.square(x[:, 2:-2, 2:-2, :])) / scaling

grads = K.gradients(loss, dream)[0]
grads /= K.maximum(K.mean(K.abs(grads)), K.epsilon())
fetch_loss_and_grads = K.function([dream], [loss, grads])


def gradient_ascent(x, iterations, step):
    for _ in range(iterations):
        loss_value, grad_values = fetch_loss_and_grads([x])
        x += step * grad_values
    return x, float(loss_value)


def resize_img(img, size):
    factors = (1, float(size[0]) / img.shape[1], float(size[1]) / img.shape[2], 1)
    return scipy.ndimage.zoom(img, factors, order=1)


yy, xx = np.mgrid[0:args.size, 0:args.size] / args.size
img = np.stack([np.sin(6 * xx), np.cos(5 * yy), xx * yy], axis=-1)[None].astype("float32")

octave_scale = 1.4
original_shape = img.shape[1:3]
successive_shapes = [original_shape]
for i in range(1, args.samples):
    shape = tuple(int(dim / (octave_scale ** i)) for dim in original_shape)
    successive_shapes.append(shape)
successive_shapes = successive_shapes[::-1]
original_img = np.copy(img)
shrunk_original_img = resize_img(img, successive_shapes[0])

for shape in successive_shapes:
    img = resize_img(img, shape)
    img, loss_value = gradient_ascent(img, iterations=args.epochs, step=args.step)
    print(f"Octave {shape}: loss {loss_value:.4f}")
    upscaled_shrunk_original_img = resize_img(shrunk_original_img, shape)
    same_size_original = resize_img(original_img, shape)
    lost_detail = same_size_original - upscaled_shrunk_original_img
    img += lost_detail
    shrunk_original_img = resize_img(original_img, shape)

print(f"Dream image: {img.shape[1:]}")

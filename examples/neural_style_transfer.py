"""Neural style transfer with scipy's L-BFGS, as Keras 2's classic example.

The content image, the style image (`K.variable`s) and the image being optimized (a
`K.placeholder`) go through one convnet as a batch of three; the loss is the content loss
on a deep feature map, Gram-matrix style losses on every feature map and a total-variation
loss; `K.function` returns the loss and `K.gradients(loss, combination_image)` for
`scipy.optimize.fmin_l_bfgs_b`. To need no download, the convnet is a small random
feature extractor (the classic uses ImageNet VGG19) and the images are generated: a smooth
gradient as content, stripes as style.

Run: openkeras run examples/neural_style_transfer.py --epochs 10 --samples 20 --size 128
"""

import argparse

import numpy as np
from keras import backend as K
from keras.layers import AveragePooling2D, Conv2D
from scipy.optimize import fmin_l_bfgs_b

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=10, help="L-BFGS iterations")
parser.add_argument("--samples", type=int, default=20,
                    help="loss/gradient evaluations per iteration (maxfun)")
parser.add_argument("--size", type=int, default=128, help="image height and width")
parser.add_argument("--content-weight", type=float, default=0.025)
parser.add_argument("--style-weight", type=float, default=1.0)
parser.add_argument("--tv-weight", type=float, default=1.0)
args = parser.parse_args()

rows = cols = args.size
yy, xx = np.mgrid[0:rows, 0:cols] / max(rows, cols)
content = np.stack([yy, xx, 1 - yy], axis=-1)[None].astype("float32")
style = np.repeat((np.sin(xx * 40 + yy * 10) > 0)[..., None], 3, axis=-1)[None]
style = style.astype("float32") * np.array([0.9, 0.3, 0.1], dtype="float32")

base_image = K.variable(content)
style_reference_image = K.variable(style)
combination_image = K.placeholder((1, rows, cols, 3))
input_tensor = K.concatenate([base_image, style_reference_image, combination_image], axis=0)

outputs_dict = {}
x = input_tensor
for block, filters in enumerate((16, 32, 32), start=1):
    x = Conv2D(filters, 3, padding="same", activation="relu", name=f"block{block}_conv1")(x)
    outputs_dict[f"block{block}_conv1"] = x
    x = AveragePooling2D(2, name=f"block{block}_pool")(x)


def gram_matrix(x):
    features = K.batch_flatten(K.permute_dimensions(x, (2, 0, 1)))
    return K.dot(features, K.transpose(features))


def style_loss(style, combination):
    channels = K.int_shape(style)[-1]
    size = rows * cols
    return K.sum(K.square(gram_matrix(style) - gram_matrix(combination))) / (
        4.0 * (channels ** 2) * (size ** 2))


def content_loss(base, combination):
    return K.sum(K.square(combination - base))


def total_variation_loss(x):
    a = K.square(x[:, :rows - 1, :cols - 1, :] - x[:, 1:, :cols - 1, :])
    b = K.square(x[:, :rows - 1, :cols - 1, :] - x[:, :rows - 1, 1:, :])
    return K.sum(K.pow(a + b, 1.25))


layer_features = outputs_dict["block3_conv1"]
loss = args.content_weight * content_loss(layer_features[0, :, :, :],
                                          layer_features[2, :, :, :])
feature_layers = ["block1_conv1", "block2_conv1", "block3_conv1"]
for layer_name in feature_layers:
    layer_features = outputs_dict[layer_name]
    sl = style_loss(layer_features[1, :, :, :], layer_features[2, :, :, :])
    loss = loss + (args.style_weight / len(feature_layers)) * sl
loss = loss + args.tv_weight * total_variation_loss(combination_image)

grads = K.gradients(loss, combination_image)
f_outputs = K.function([combination_image], [loss] + grads)


def eval_loss_and_grads(x):
    outs = f_outputs([x.reshape((1, rows, cols, 3))])
    return float(outs[0]), outs[1].flatten().astype("float64")


class Evaluator:
    """Computes loss and gradients in one pass, handing them to L-BFGS one at a time."""

    def __init__(self):
        self.loss_value = None
        self.grad_values = None

    def loss(self, x):
        self.loss_value, self.grad_values = eval_loss_and_grads(x)
        return self.loss_value

    def grads(self, x):
        grad_values = np.copy(self.grad_values)
        self.loss_value = self.grad_values = None
        return grad_values


evaluator = Evaluator()
x = np.random.default_rng(0).uniform(0, 1, (1, rows, cols, 3)).flatten()
first = None
for i in range(args.epochs):
    x, min_val, info = fmin_l_bfgs_b(evaluator.loss, x, fprime=evaluator.grads,
                                     maxfun=args.samples)
    first = min_val if first is None else first
    print(f"Iteration {i}: loss {min_val:.4f}")
image = np.clip(x.reshape((rows, cols, 3)), 0, 1)
print(f"Stylized image: {image.shape}, loss {first:.4f} -> {min_val:.4f}")

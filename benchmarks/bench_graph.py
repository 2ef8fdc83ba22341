"""K.function returning a loss and its gradient vs the same computation in torch.autograd.

A style-transfer-like loss on a small convnet (3 x Conv2D(16, 3, same, relu) on a 64x64x3
image): content loss on the last feature map, a Gram-matrix style loss on every feature map
and a total-variation loss on the image, differentiated w.r.t. the image. The openkeras side
is written as Keras 2 code (layer outputs, K functions, ``K.gradients``, ``K.function``,
called with numpy and returning numpy); the torch side is the same network run by hand
(``F.conv2d`` on the model's own weights, ``torch.autograd.grad``), also taking and
returning numpy. Calls alternate; the median of the per-repetition ratios is printed.

    .venv/bin/python benchmarks/bench_graph.py [--reps 7] [--calls 20] [--threads 1] [--size 64]

A small ``--size`` (e.g. 8) measures K.function's fixed cost per call rather than the convs.
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import openkeras  # noqa: E402
from openkeras import backend as K  # noqa: E402
from openkeras import layers  # noqa: E402

SIZE = 64  # the image side; --size changes it


def gram(x):
    features = K.batch_flatten(K.permute_dimensions(x, (2, 0, 1)))
    return K.dot(features, K.transpose(features))


def build_keras():
    torch.manual_seed(0)
    inp = openkeras.Input((SIZE, SIZE, 3))
    h, feats = inp, []
    for i in range(3):
        h = layers.Conv2D(16, 3, padding="same", activation="relu", name=f"conv{i}")(h)
        feats.append(h)
    model = openkeras.Model(inp, h)
    content_target = K.variable(np.random.default_rng(1).random((1, SIZE, SIZE, 16)))
    style_targets = [K.variable(np.random.default_rng(2 + i).random((16, 16)))
                     for i in range(3)]
    x = model.input
    loss = K.sum(K.square(feats[-1] - content_target))
    for f, target in zip(feats, style_targets, strict=True):
        loss = loss + 1e-3 * K.sum(K.square(gram(f[0]) - target))
    a = K.square(x[:, :SIZE - 1, :SIZE - 1, :] - x[:, 1:, :SIZE - 1, :])
    b = K.square(x[:, :SIZE - 1, :SIZE - 1, :] - x[:, :SIZE - 1, 1:, :])
    loss = loss + K.sum(K.pow(a + b, 1.25))
    grads = K.gradients(loss, model.input)[0]
    f = K.function([model.input], [loss, grads])
    return f, model, content_target, style_targets


def build_torch(model, content_target, style_targets):
    # Conv2D keeps its kernel in torch's (out, in, kh, kw) layout: F.conv2d takes it as is.
    kernels = [(model.get_layer(f"conv{i}").kernel, model.get_layer(f"conv{i}").bias)
               for i in range(3)]

    def run(x_np):
        x = torch.from_numpy(x_np).requires_grad_(True)
        h = x.permute(0, 3, 1, 2)
        loss = 0
        for (w, b), target in zip(kernels, style_targets, strict=True):
            h = torch.relu(F.conv2d(h, w, b, padding=1))
            feats = h[0].reshape(16, -1)
            loss = loss + 1e-3 * ((feats @ feats.t() - target) ** 2).sum()
        loss = loss + ((h.permute(0, 2, 3, 1) - content_target) ** 2).sum()
        a = (x[:, :-1, :-1, :] - x[:, 1:, :-1, :]) ** 2
        c = (x[:, :-1, :-1, :] - x[:, :-1, 1:, :]) ** 2
        loss = loss + ((a + c) ** 1.25).sum()
        g = torch.autograd.grad(loss, x)[0]
        return [loss.detach().numpy(), g.numpy()]

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--size", type=int, default=SIZE)
    args = parser.parse_args()
    globals()["SIZE"] = args.size
    torch.set_num_threads(args.threads)
    f, model, content_target, style_targets = build_keras()
    by_hand = build_torch(model, content_target, style_targets)
    x = np.random.default_rng(0).random((1, SIZE, SIZE, 3), dtype=np.float32)
    keras_out, torch_out = f([x]), by_hand(x)
    np.testing.assert_allclose(keras_out[0], torch_out[0], rtol=1e-5)
    np.testing.assert_allclose(keras_out[1], torch_out[1], rtol=1e-4, atol=1e-4)
    ratios, times = [], {"K.function": [], "torch": []}
    for rep in range(args.reps):
        order = [("K.function", f), ("torch", by_hand)]
        if rep % 2:
            order.reverse()
        spent = {}
        for name, fn in order:
            start = time.perf_counter()
            for _ in range(args.calls):
                fn([x]) if name == "K.function" else fn(x)
            spent[name] = (time.perf_counter() - start) / args.calls * 1e3
            times[name].append(spent[name])
        ratios.append(spent["K.function"] / spent["torch"])
    print(f"K.function: {statistics.median(times['K.function']):.2f} ms/call, torch: "
          f"{statistics.median(times['torch']):.2f} ms/call, ratio median "
          f"{statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")


if __name__ == "__main__":
    main()

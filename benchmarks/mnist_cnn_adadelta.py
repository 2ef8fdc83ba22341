"""Keras 2's examples/mnist_cnn.py for one epoch with ``Adadelta()``'s defaults; prints the
test accuracy (Keras 2 reaches about 0.98 after one epoch; the target here is >= 0.97).

The model, loss, optimizer and batch size are the Keras example's; only the epoch count is
1. It checks that the Keras 2 defaults are in force (Adadelta's learning rate 1.0: with
tf.keras 2's 0.001 the same run ends near 0.26).

    .venv/bin/python benchmarks/mnist_cnn_adadelta.py [--data PATH] [--threads N] [--seed S]
"""

import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import openkeras as keras  # noqa: E402
from openkeras import backend as K  # noqa: E402
from openkeras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D  # noqa: E402
from openkeras.models import Sequential  # noqa: E402

MNIST = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "mnist.npz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=MNIST, help="path of mnist.npz")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    keras.utils.set_random_seed(args.seed)

    with np.load(args.data) as f:
        x_train, y_train, x_test, y_test = (f[k] for k in ("x_train", "y_train", "x_test",
                                                           "y_test"))
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)

    model = Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(Conv2D(64, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    model.compile(loss=keras.losses.categorical_crossentropy,
                  optimizer=keras.optimizers.Adadelta(), metrics=["accuracy"])
    print("Adadelta learning rate:", float(K.get_value(model.optimizer.lr)))

    start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=128, epochs=1, verbose=2)
    seconds = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"epoch: {seconds:.0f} s ({args.threads} threads)")
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()

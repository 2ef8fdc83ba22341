"""The main demo: the seed tutorial's MNIST CNN, trained, evaluated, saved and reloaded.

Trains on real MNIST when ``mnist.npz`` is already in the openkeras cache
(``~/.keras/datasets``), otherwise on the 8x8 digits that ship with scikit-learn
(no network either way), upscaled to 28x28 so the tutorial's model applies unchanged.
"""

import os
import tempfile
import time

import numpy as np

from openkeras import config
from openkeras.engine.sequential import Sequential
from openkeras.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D
from openkeras.models import load_model
from openkeras.utils import set_random_seed, to_categorical


def load_data(max_train=None):
    """(x_train, y_train), (x_test, y_test), name: MNIST from the cache, else sklearn digits."""
    cached = os.path.join(config.config_dir(), "datasets", "mnist.npz")
    if os.path.exists(cached):
        with np.load(cached) as f:
            x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
        if max_train:
            x_train, y_train = x_train[:max_train], y_train[:max_train]
        return (x_train / 255.0, y_train), (x_test / 255.0, y_test), f"MNIST ({cached})"
    from sklearn.datasets import load_digits  # optional dependency, needed only without MNIST

    digits = load_digits()
    images = np.kron(digits.images, np.ones((3, 3))) / 16.0  # 8x8 -> 24x24, values in [0, 1]
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))  # -> 28x28, like MNIST's border
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], digits.target[order]
    split = int(0.8 * len(images))
    return ((images[:split], labels[:split]), (images[split:], labels[split:]),
            "scikit-learn digits, upscaled to 28x28 (put mnist.npz in the cache for real MNIST)")


def build_model():
    """The MNIST CNN of shared seed tutorial 004, exactly as written there."""
    model = Sequential()
    model.add(Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(Conv2D(32, kernel_size=(3, 3), activation="relu"))
    model.add(MaxPool2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    return model


def run(epochs=None, max_train=None, verbose=1):
    """Train, evaluate, save to HDF5, reload and compare predictions. Returns the test accuracy."""
    set_random_seed(0)
    (x_train, y_train), (x_test, y_test), source = load_data(max_train)
    epochs = epochs or (2 if source.startswith("MNIST") else 12)
    x_train = x_train.reshape(-1, 28, 28, 1).astype("float32")
    x_test = x_test.reshape(-1, 28, 28, 1).astype("float32")
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)
    print(f"Data: {source}: {len(x_train)} training and {len(x_test)} test images")

    model = build_model()
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.time()
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=verbose)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {loss:.4f} - test accuracy: {accuracy:.4f} (trained in {time.time() - start:.1f}s)")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mnist_cnn.h5")
        model.save(path)
        reloaded = load_model(path)
        before, after = model.predict(x_test, verbose=0), reloaded.predict(x_test, verbose=0)
        same = np.array_equal(before, after)
        print(f"Saved to HDF5 ({os.path.getsize(path):,} bytes) and reloaded: predictions "
              f"{'identical' if same else 'DIFFERENT (max diff %.3g)' % np.abs(before - after).max()}")
        if not same:
            raise SystemExit(1)
    return accuracy

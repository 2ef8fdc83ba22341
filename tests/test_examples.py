"""Every script of examples/ runs unchanged with `openkeras run`, on tiny data, in seconds.

Each script is run in a subprocess as a user would (`python -m openkeras run
examples/x.py --epochs 1 --samples N ...`) from a scratch working directory, with
OPENKERAS_HOME pointing to a cache holding MNIST (copied from ../shared/datasets) and
small IMDB and CIFAR-10 files written here in the published formats.
"""

import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
SHARED_MNIST = REPO / ".." / "shared" / "datasets" / "mnist.npz"


def case(script, args, expected, data=None, files=(), marks=()):
    """One script: its tiny arguments, a regex its stdout must match, data and files it needs."""
    return pytest.param(script, args, expected, data, files, id=script[:-3], marks=marks)


CASES = [
    case("mlp_classification.py", "--epochs 1 --samples 64", r"Test accuracy: [\d.]+"),
    case("vgg_like_cnn.py", "--epochs 1 --samples 8 --image-size 16", r"Test loss: [\d.]+"),
    case("mnist_cnn_tutorial.py", "--epochs 1 --samples 256", r"Test accuracy: [\d.]+",
         data="mnist"),
    case("lstm_regression.py", "--epochs 2 --samples 64 --timesteps 5",
         r"stacked LSTM test RMSE: [\d.]+"),
    case("stateful_lstm.py", "--epochs 1 --samples 16 --batch-size 8",
         r"Outputs differ once the states are reset: True"),
    case("news_two_inputs.py", "--epochs 1 --samples 16 --maxlen 10",
         r"Predictions: \(16, 1\) \(16, 1\)"),
    case("shared_lstm_tweets.py", "--epochs 1 --samples 16 --length 10", r"Layer nodes: OK"),
    case("shared_vision_model.py", "--epochs 1 --samples 16",
         r"Shared encoding shape: \(4, 7744\)"),
    case("inception_module.py", "--epochs 1 --samples 8 --image-size 16",
         r"Inception module output: \(None, 16, 16, 192\)"),
    case("vqa_model.py", "--epochs 1 --samples 4 --image-size 32 --maxlen 8",
         r"Answer probabilities: \(2, 1000\)"),
    case("time_distributed_model.py", "--epochs 1 --samples 32 --timesteps 3",
         r"Same as the classifier on each step: True"),
    case("fine_tuning_by_name.py", "--epochs 1 --samples 32",
         r"Frozen dense_1 unchanged by training; trainable weights: 2",
         files=("my_model_weights.h5",)),
    case("fit_generator_from_file.py", "--epochs 2 --samples 64 --batch-size 16",
         r"Test accuracy: [\d.]+", files=("my_file.txt", "model-ep001-*.h5")),
    case("mnist_mlp.py", "--epochs 1 --samples 256", r"Test accuracy: [\d.]+", data="mnist"),
    case("mnist_cnn.py", "--epochs 1 --samples 256", r"Test accuracy: [\d.]+", data="mnist"),
    case("imdb_lstm.py", "--epochs 1 --samples 32 --maxlen 20", r"Test accuracy: [\d.]+"),
    case("imdb_cnn.py", "--epochs 1 --samples 32 --maxlen 40", r"Test accuracy: [\d.]+"),
    case("lstm_text_generation.py", "--epochs 1 --samples 64 --generate 10",
         r"----- diversity: 1.2\n----- Generating with seed: \"[^\n]{40}\"\n"),
    case("cifar10_cnn.py", "--epochs 1 --samples 32", r"Test accuracy: [\d.]+",
         files=("saved_models/keras_cifar10_trained_model.h5",)),
    case("variational_autoencoder.py", "--epochs 1 --samples 256",
         r"Generated image: \(28, 28\)", data="mnist", files=("vae_mlp_mnist.h5",)),
    case("conv_lstm.py", "--epochs 1 --samples 4 --size 12 --frames 4 --filters 4",
         r"Predicted 2 frames; mean absolute error per pixel: [\d.]+"),
    case("addition_rnn.py", "--epochs 1 --samples 64", r"(?m)^Q [\d+ ]+ T [\d ]+ "),
    case("mnist_siamese.py", "--epochs 1 --samples 600", r"\* Accuracy on test set: [\d.]+%",
         data="mnist"),
    case("image_ocr_ctc.py", "--epochs 1 --samples 32",
         r"Mean normalized edit distance: [\d.]+\nBeam search agrees with greedy decoding on "
         r"\d+ of 8 words"),
    case("custom_attention_layer.py", "--epochs 1 --samples 64",
         r"Reloaded with custom_objects, same predictions: True", files=("attention_model.h5",)),
    case("network_model_subclass.py", "--epochs 1 --samples 64",
         r"Model class: ResidualRegressor - a keras Model: True(.|\n)*"
         r"Weights reloaded into a new instance, same predictions: True",
         files=("residual_regressor_weights.h5",)),
    case("radam_optimizer.py", "--epochs 3 --samples 64",
         r"Test loss went down: True(.|\n)*Reloaded with custom_objects, same predictions: True\n"
         r"Optimizer state reloaded, same next step: True", files=("radam_model.h5",)),
    case("grad_cam.py", "--epochs 1 --samples 64", r"Grad-CAM heatmap: \(16, 16\) peak at"),
    case("fgsm.py", "--epochs 1 --samples 64", r"Accuracy on FGSM inputs \(epsilon=0.2\): [\d.]+"),
    case("conv_filter_visualization.py", "--epochs 3 --samples 16 --size 16 --filters 2",
         r"Filter 1: activation [\d.]+ -> [\d.]+\nKept \d filters"),
    case("deep_dream.py", "--epochs 2 --samples 2 --size 24",
         r"Octave \(24, 24\): loss [\d.]+\nDream image: \(24, 24, 3\)"),
    case("neural_style_transfer.py", "--epochs 2 --samples 4 --size 16",
         r"Stylized image: \(16, 16, 3\), loss [\d.]+ -> [\d.]+"),
    case("wgan_gp.py", "--epochs 2 --samples 16 --critic-steps 2",
         r"Generated samples: \(512, 2\), mean radius [\d.]+"),
]


def _object_array(seqs):
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out


def _write_imdb(path, rng, n=40):
    """imdb.npz as Keras publishes it: object arrays of word-id lists and 0/1 labels."""
    def reviews():
        return _object_array([[int(w) for w in rng.integers(1, 200, rng.integers(5, 60))]
                              for _ in range(n)])
    np.savez(path, x_train=reviews(), y_train=rng.integers(0, 2, n),
             x_test=reviews(), y_test=rng.integers(0, 2, n))


def _write_cifar10(folder, rng, n=8):
    """cifar-10-batches-py: pickled dicts of uint8 (n, 3072) data and label lists."""
    folder.mkdir(parents=True)
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        batch = {b"batch_label": b"tiny", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 b"labels": [int(v) for v in rng.integers(0, 10, n)]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))


@pytest.fixture(scope="session")
def keras_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("openkeras_home")
    datasets = home / "datasets"
    datasets.mkdir()
    rng = np.random.default_rng(0)
    _write_imdb(datasets / "imdb.npz", rng)
    _write_cifar10(datasets / "cifar-10-batches-py", rng)
    if SHARED_MNIST.exists():
        shutil.copy(SHARED_MNIST, datasets / "mnist.npz")
    return home


@pytest.mark.parametrize(("script", "args", "expected", "data", "files"), CASES)
def test_example_runs(script, args, expected, data, files, keras_home, tmp_path):
    if data == "mnist":
        assert (keras_home / "datasets" / "mnist.npz").exists(), f"{SHARED_MNIST} is missing"
    env = {**os.environ, "OPENKERAS_HOME": str(keras_home), "OPENKERAS_VERIFY_DATASETS": "0"}
    command = [sys.executable, "-m", "openkeras", "run", str(EXAMPLES / script), *args.split()]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    assert re.search(expected, done.stdout), f"{script} printed:\n{done.stdout[-3000:]}"
    for pattern in files:
        assert list(tmp_path.glob(pattern)), f"{script} wrote no {pattern}"


def test_every_example_is_tested_and_listed():
    scripts = sorted(p.name for p in EXAMPLES.glob("*.py"))
    tested = sorted(param.values[0] for param in CASES)
    assert scripts == tested
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert [s for s in scripts if f"`{s}`" not in readme] == []


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_is_plain_keras_code(script):
    source = (EXAMPLES / script).read_text(encoding="utf-8")
    assert re.search(r"(?m)^(import keras|from keras[. ])", source)
    assert not re.search(r"(?m)^\s*(import|from) openkeras", source)
    assert "--epochs" in source and "--samples" in source

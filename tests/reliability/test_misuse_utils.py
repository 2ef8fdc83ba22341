"""Misuse of utils, preprocessing and the registries (activations, losses, initializers)."""

import numpy as np
import pytest
from reliability.misuse_utils import assert_clear_error, case

import openkeras as ok
from openkeras import backend as K
from openkeras.preprocessing import image, sequence, text
from openkeras.utils import to_categorical


def fitted_tokenizer():
    tokenizer = text.Tokenizer()
    tokenizer.fit_on_texts(["a b"])
    return tokenizer


CASES = [
    case("to-categorical-index-too-large", lambda: to_categorical([5], num_classes=3),
         ValueError, "to_categorical", "0 to 2", "[5]"),
    case("to-categorical-negative-index", lambda: to_categorical([-1], num_classes=3),
         ValueError, "to_categorical", "0 to 2", "[-1]"),
    case("to-categorical-fractional-labels", lambda: to_categorical([1.5]), ValueError,
         "`y`", "integer", "[1.5]"),
    case("to-categorical-zero-classes", lambda: to_categorical([0], num_classes=0), ValueError,
         "num_classes", "positive", "num_classes=0"),
    case("to-categorical-strings", lambda: to_categorical(["cat"]), ValueError, "`y`",
         "integer", "cat"),
    case("pad-sequences-unknown-padding",
         lambda: sequence.pad_sequences([[1, 2]], padding="middle"), ValueError, "Padding",
         '"middle"'),
    case("pad-sequences-unknown-truncating",
         lambda: sequence.pad_sequences([[1, 2]], maxlen=1, truncating="middle"), ValueError,
         "Truncating", '"middle"'),
    case("pad-sequences-negative-maxlen", lambda: sequence.pad_sequences([[1, 2]], maxlen=-1),
         ValueError, "maxlen", "non-negative", "maxlen=-1"),
    case("pad-sequences-not-a-list", lambda: sequence.pad_sequences(5), ValueError,
         "sequences", "iterable"),
    case("timeseries-generator-lengths-differ",
         lambda: sequence.TimeseriesGenerator(np.zeros(10), np.zeros(9), length=2), ValueError,
         "same length", "10", "9"),
    case("timeseries-generator-window-too-long",
         lambda: sequence.TimeseriesGenerator(np.zeros(10), np.zeros(10), length=20),
         ValueError, "length=20", "end_index=9"),
    case("tokenizer-fit-on-a-number", lambda: text.Tokenizer().fit_on_texts(5), TypeError,
         "fit_on_texts", "list of strings", "int"),
    case("tokenizer-unknown-mode",
         lambda: fitted_tokenizer().texts_to_matrix(["a"], mode="binarry"), ValueError, "mode",
         "'binary'", "'binarry'"),
    case("tokenizer-matrix-before-fit",
         lambda: text.Tokenizer().texts_to_matrix(["a"], mode="tfidf"), ValueError,
         "num_words", "fit on some text"),
    case("one-hot-hashing-space-zero", lambda: text.one_hot("a b", 0), ValueError, "`n`",
         ">= 2", "n=0"),
    case("image-generator-zoom-a-string",
         lambda: image.ImageDataGenerator(zoom_range="a"), ValueError, "zoom_range",
         "float", "a"),
    case("image-generator-unknown-data-format",
         lambda: image.ImageDataGenerator(data_format="nhwc"), ValueError, "data_format",
         "channels_last", "nhwc"),
    case("image-generator-flow-rank-3",
         lambda: image.ImageDataGenerator().flow(np.zeros((2, 4, 4)), np.zeros(2)), ValueError,
         "rank 4", "(2, 4, 4)"),
    case("image-generator-flow-lengths-differ",
         lambda: image.ImageDataGenerator().flow(np.zeros((2, 4, 4, 3)), np.zeros(3)),
         ValueError, "same length", "(2, 4, 4, 3)", "(3,)"),
    case("img-to-array-rank-1", lambda: image.img_to_array(np.zeros((2,))), ValueError,
         "image shape", "(2,)"),
    case("load-img-missing-file", lambda: image.load_img("/nonexistent/none.png"),
         FileNotFoundError, "/nonexistent/none.png", "No such file"),
    case("get-file-without-origin", lambda: ok.utils.get_file("x.txt", origin=None),
         ValueError, "origin", "URL"),
    case("activations-get-unknown", lambda: ok.activations.get("foo"), ValueError,
         "activation", "'foo'", "relu"),
    case("losses-get-unknown", lambda: ok.losses.get("foo"), ValueError, "loss", "'foo'",
         "MeanSquaredError"),
    case("initializers-get-unknown", lambda: ok.initializers.get("foo"), ValueError,
         "initializer", "'foo'", "GlorotUniform"),
    case("backend-set-value-wrong-shape",
         lambda: K.set_value(K.variable(np.zeros(3)), np.zeros(4)), ValueError, "set_value",
         "(4,)", "(3,)"),
    case("set-random-seed-a-string", lambda: ok.utils.set_random_seed("a"), ValueError,
         "seed", "integer", "'a'"),
    case("multi-gpu-model-one-gpu",
         lambda: ok.utils.multi_gpu_model(ok.Sequential([ok.layers.Dense(1, input_shape=(2,))]),
                                          gpus=1), ValueError, "gpus", ">= 2", "gpus=1"),
    case("plot-model-unbuilt",
         lambda: ok.utils.plot_model(ok.Sequential([ok.layers.Dense(2)], name="unbuilt"),
                                     to_file="m.png"), ValueError, "not yet been built",
         "'unbuilt'"),
]


@pytest.mark.parametrize("fn,exc_type,must_mention", CASES)
def test_utils_misuse(fn, exc_type, must_mention, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_clear_error(fn, exc_type, must_mention)

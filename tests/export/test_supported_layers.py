"""Every layer in export.SUPPORTED_LAYERS exports to each format (three models hold them all)."""

import pytest

import openkeras as ok
from openkeras import layers as L
from openkeras.export import SUPPORTED_LAYERS


def images():
    x = ok.Input((8, 8, 3))
    a = L.Conv2D(4, 3, padding="same")(x)
    a = L.BatchNormalization()(a)
    a = L.LeakyReLU(0.1)(a)
    b = L.SeparableConv2D(4, 3, padding="same")(x)
    b = L.PReLU()(b)
    c = L.DepthwiseConv2D(3, padding="same")(x)
    c = L.Conv2D(4, 1)(L.ELU()(c))
    d = L.Conv2DTranspose(4, 2, strides=2)(L.MaxPooling2D()(x))
    e = L.UpSampling2D()(L.AveragePooling2D()(L.Cropping2D(1)(L.ZeroPadding2D(1)(x))))
    e = L.Conv2D(4, 1)(L.ThresholdedReLU(0.1)(e))
    h = L.Add()([a, b])
    h = L.Subtract()([h, c])
    h = L.Multiply()([h, d])
    h = L.Average()([h, e])
    h = L.Maximum()([h, a])
    h = L.Minimum()([h, b])
    h = L.SpatialDropout2D(0.2)(L.ReLU()(h))
    h = L.GaussianNoise(0.1)(L.GaussianDropout(0.1)(L.AlphaDropout(0.1)(h)))
    p = L.Concatenate()([L.GlobalAveragePooling2D()(h), L.GlobalMaxPooling2D()(h)])
    p = L.LayerNormalization()(L.Activation("tanh")(L.Dense(6)(p)))
    q = L.Flatten()(L.Permute((2, 1))(L.Reshape((2, 3))(p)))
    r = L.Dot(axes=1)([p, q])
    s = L.Softmax()(L.Dense(3)(L.Dropout(0.5)(L.Concatenate()([q, r]))))
    t = L.Flatten()(L.RepeatVector(2)(s))
    return ok.Model(x, [s, t])


def sequences():
    x = ok.Input((5,))  # short sequences: a masked RNN is unrolled step by step when exported
    e = L.Embedding(30, 6, mask_zero=True)(x)
    g = L.GRU(5, return_sequences=True)(e)
    g = L.Bidirectional(L.LSTM(4, return_sequences=True))(g)
    g = L.TimeDistributed(L.Dense(3))(g)
    g = L.SimpleRNN(4)(g)
    s = ok.Input((6, 3))
    m = L.SimpleRNN(3)(L.Masking(0.0)(s))
    c = L.Conv1D(4, 3, padding="same")(L.SpatialDropout1D(0.1)(s))
    c = L.SeparableConv1D(4, 3)(L.ZeroPadding1D(1)(L.Cropping1D(1)(c)))
    c = L.UpSampling1D()(L.AveragePooling1D()(L.MaxPooling1D()(c)))
    c = L.Concatenate()([L.GlobalMaxPooling1D()(c), L.GlobalAveragePooling1D()(c), m])
    inner = ok.Sequential([L.Dense(3, input_shape=(15,)), L.ActivityRegularization(l1=0.01)])
    return ok.Model([x, s], inner(L.Concatenate()([g, c])))


def volumes():
    x = ok.Input((6, 6, 6, 2))
    v = L.Conv3D(3, 3, padding="same")(x)
    v = L.SpatialDropout3D(0.1)(v)
    v = L.AveragePooling3D()(L.MaxPooling3D(1)(L.Cropping3D(1)(L.ZeroPadding3D(1)(v))))
    return ok.Model(x, L.Concatenate()([L.GlobalMaxPooling3D()(v), L.GlobalAveragePooling3D()(v)]))


MODELS = [images, sequences, volumes]


@pytest.fixture(scope="module")
def models():
    return {make.__name__: make() for make in MODELS}


def test_the_three_models_hold_every_supported_layer(models):
    used = {type(m).__name__ for model in models.values() for m in model.modules()}
    missing = SUPPORTED_LAYERS - used - {"TorchModuleWrapper"}  # exported in test_torch_module_wrapper
    assert not missing, sorted(missing)


@pytest.mark.parametrize("ext", ["pt", "pt2", "onnx"])
@pytest.mark.parametrize("make", MODELS, ids=[m.__name__ for m in MODELS])
def test_supported_layers_export(models, make, ext, tmp_path):
    result = models[make.__name__].export(tmp_path / f"m.{ext}", verbose=False)
    assert result.checked and result.max_difference <= result.tolerance

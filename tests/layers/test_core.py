import numpy as np
import pytest
import torch
from layer_test_utils import run_layer_test

import openkeras as ok
from openkeras import layers


def test_dense():
    x = np.random.rand(3, 4).astype("float32")
    layer_out = run_layer_test(layers.Dense, {"units": 5, "activation": "tanh"}, input_data=x,
                               expected_output_shape=(None, 5), expected_num_weights=2)
    assert np.all(np.abs(layer_out) <= 1)


def test_dense_numerics_against_torch_linear():
    layer = layers.Dense(6, activation="relu")
    x = torch.randn(4, 3, 5)
    out = layer(x)
    k, b = layer.get_weights()
    expected = torch.relu(torch.nn.functional.linear(x, torch.as_tensor(k).T, torch.as_tensor(b)))
    torch.testing.assert_close(out, expected, rtol=1e-6, atol=1e-6)


def test_dense_without_bias_and_3d_input():
    run_layer_test(layers.Dense, {"units": 2, "use_bias": False}, input_shape=(2, 3, 4),
                   expected_output_shape=(None, 3, 2), expected_num_weights=1)


def test_dense_errors():
    with pytest.raises(ValueError, match="units=-3"):
        layers.Dense(-3)
    with pytest.raises(ValueError, match=r'layer "dense_1".*min_ndim=2, found ndim=1'):
        layers.Dense(2)(ok.Input(batch_shape=(5,)))


def test_dense_keras1_arguments_warn():
    with pytest.warns(DeprecationWarning, match="output_dim"):
        layer = layers.Dense(output_dim=3, init="zeros")
    assert layer.units == 3 and type(layer.kernel_initializer).__name__ == "Zeros"


def test_activation():
    x = np.linspace(-2, 2, 8, dtype="float32").reshape(2, 4)
    out = run_layer_test(layers.Activation, {"activation": "relu"}, input_data=x,
                         expected_output_shape=(None, 4))
    np.testing.assert_array_equal(out, np.maximum(x, 0))


def test_dropout_training_only():
    x = np.ones((64, 32), "float32")
    run_layer_test(layers.Dropout, {"rate": 0.5}, input_data=x, expected_output_shape=(None, 32))
    layer = layers.Dropout(0.5)
    np.testing.assert_array_equal(layer(torch.as_tensor(x)).numpy(), x)
    y = layer(torch.as_tensor(x), training=True).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.35 < (y == 0).mean() < 0.65


def test_dropout_noise_shape_shares_mask():
    layer = layers.Dropout(0.5, noise_shape=(None, 1, 4))
    y = layer(torch.ones(8, 5, 4), training=True).numpy()
    assert (y == y[:, :1, :]).all()


def test_spatial_dropout_drops_whole_channels():
    y = layers.SpatialDropout1D(0.5)(torch.ones(4, 6, 8), training=True).numpy()
    assert (y == y[:, :1, :]).all()
    y2 = layers.SpatialDropout2D(0.5)(torch.ones(2, 3, 3, 5), training=True).numpy()
    assert (y2 == y2[:, :1, :1, :]).all()
    y3 = layers.SpatialDropout2D(0.5, data_format="channels_first")(torch.ones(2, 5, 3, 3), training=True)
    assert (y3.numpy() == y3.numpy()[:, :, :1, :1]).all()
    run_layer_test(layers.SpatialDropout3D, {"rate": 0.3}, input_shape=(2, 2, 2, 2, 3),
                   expected_output_shape=(None, 2, 2, 2, 3))


def test_flatten():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    out = run_layer_test(layers.Flatten, {}, input_data=x, expected_output_shape=(None, 12))
    np.testing.assert_array_equal(out, x.reshape(2, 12))
    cf = layers.Flatten(data_format="channels_first")(torch.as_tensor(x)).numpy()
    np.testing.assert_array_equal(cf, x.transpose(0, 2, 1).reshape(2, 12))


def test_reshape_with_minus_one():
    x = np.arange(24, dtype="float32").reshape(2, 12)
    out = run_layer_test(layers.Reshape, {"target_shape": (-1, 3)}, input_data=x,
                         expected_output_shape=(None, 4, 3))
    np.testing.assert_array_equal(out, x.reshape(2, 4, 3))
    with pytest.raises(ValueError, match="total size of new array must be unchanged"):
        layers.Reshape((5, 3))(ok.Input((12,)))


def test_permute():
    x = np.random.rand(2, 3, 4).astype("float32")
    out = run_layer_test(layers.Permute, {"dims": (2, 1)}, input_data=x, expected_output_shape=(None, 4, 3))
    np.testing.assert_array_equal(out, x.transpose(0, 2, 1))
    with pytest.raises(ValueError, match="dims"):
        layers.Permute((1, 3))


def test_repeat_vector():
    x = np.random.rand(2, 3).astype("float32")
    out = run_layer_test(layers.RepeatVector, {"n": 4}, input_data=x, expected_output_shape=(None, 4, 3))
    np.testing.assert_array_equal(out[:, 2], x)


def test_lambda_infers_shape_and_runs():
    x = ok.Input((4,))
    y = layers.Lambda(lambda t: t[:, :2] ** 2)(x)
    assert y.shape == (None, 2)
    model = ok.Model(x, y)
    data = np.random.rand(3, 4).astype("float32")
    np.testing.assert_allclose(model(data).numpy(), data[:, :2] ** 2, rtol=1e-6)


def test_lambda_output_shape_arguments_and_backend():
    from openkeras import backend as K

    layer = layers.Lambda(lambda t, scale: K.int_shape(t) and t * scale, output_shape=(4,),
                          arguments={"scale": 3.0})
    y = layer(ok.Input((4,)))
    assert y.shape == (None, 4)
    np.testing.assert_allclose(layer(torch.ones(2, 4)).numpy(), 3 * np.ones((2, 4)))


def test_lambda_config_of_named_function_round_trips():
    layer = layers.Lambda(torch.abs)
    conf = layer.get_config()
    assert conf["function_type"] == "function" and conf["function"] == "abs"
    clone = layers.Lambda.from_config(conf)
    np.testing.assert_array_equal(clone(torch.tensor([-1.5, 2.0])).numpy(), [1.5, 2.0])


def test_lambda_bytecode_is_refused_in_safe_mode():
    from openkeras.utils.generic_utils import SafeModeScope

    conf = layers.Lambda(lambda t: t + 1).get_config()
    assert conf["function_type"] == "lambda"
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(conf)
    with SafeModeScope(False):
        clone = layers.Lambda.from_config(conf)
    np.testing.assert_allclose(clone(torch.zeros(2)).numpy(), [1, 1])


def test_masking():
    x = np.ones((2, 3, 2), "float32")
    x[0, 1] = 0
    layer = layers.Masking(mask_value=0.0)
    mask = layer.compute_mask(torch.as_tensor(x))
    assert mask.tolist() == [[True, False, True], [True, True, True]]
    run_layer_test(layers.Masking, {"mask_value": 0.0}, input_data=x, expected_output_shape=(None, 3, 2))


def test_activity_regularization_adds_loss():
    from openkeras.engine.base_layer import collect_losses

    run_layer_test(layers.ActivityRegularization, {"l1": 0.1, "l2": 0.2}, input_shape=(2, 3),
                   expected_output_shape=(None, 3))
    layer = layers.ActivityRegularization(l1=0.1)
    x = torch.full((2, 3), -2.0)
    with collect_losses() as losses:
        out = layer(x)
    torch.testing.assert_close(out, x)
    # Keras 2: l1 * sum|x| over the whole batch (tf.keras 2 would divide by the batch size)
    assert float(losses[0]) == pytest.approx(0.1 * 12)
    assert layer.losses == losses


def test_dropout_keras1_p_argument():
    with pytest.warns(DeprecationWarning, match="`p`"):
        layer = layers.Dropout(p=0.3)
    assert layer.rate == 0.3
    with pytest.raises(ValueError, match="rate=None"):
        layers.Dropout()


def test_dense_accepts_whole_float_units():
    assert layers.Dense(8 / 2).units == 4


def test_dropout_rate_one_drops_everything_without_nan():
    x = torch.ones(4, 3, 2)
    for layer in (layers.Dropout(1.0), layers.Dropout(1.0, noise_shape=(None, 1, 2))):
        np.testing.assert_array_equal(layer(x, training=True).numpy(), 0.0)


def test_lambda_user_function_is_not_replaced_by_a_backend_one():
    def square(t):  # same name as K.square, different meaning
        return t * 10

    conf = layers.Lambda(square).get_config()
    with pytest.raises(ValueError, match="custom_objects"):
        layers.Lambda.from_config(conf)
    clone = layers.Lambda.from_config(conf, custom_objects={"square": square})
    np.testing.assert_array_equal(clone(torch.ones(1)).numpy(), [10.0])


def test_lambda_closure_round_trips_with_safe_mode_off():
    from openkeras.utils.generic_utils import SafeModeScope

    def make(scale):
        return lambda t: t * scale

    conf = layers.Lambda(make(3.0)).get_config()
    with SafeModeScope(False):
        clone = layers.Lambda.from_config(conf)
    np.testing.assert_array_equal(clone(torch.ones(2)).numpy(), [3.0, 3.0])

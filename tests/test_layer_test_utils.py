from layer_test_utils import run_layer_test

from openkeras import layers


def test_run_layer_test_on_dense():
    out = run_layer_test(layers.Dense, {"units": 3}, input_shape=(2, 4),
                         expected_output_shape=(None, 3), expected_num_weights=2)
    assert out.shape == (2, 3)

import numpy as np
import pytest

import openkeras as ok
from openkeras.layers import Dense


class Net(ok.models.Model):
    def __init__(self):
        super().__init__(name="net")
        self.hidden = Dense(4, activation="relu")
        self.out = Dense(1)

    def call(self, x):
        return self.out(self.hidden(x))


def _trained():
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 3), dtype=np.float32), rng.random((16, 1), dtype=np.float32)
    net = Net()
    net.compile("sgd", "mse")
    net.fit(x, y, verbose=0)
    return net, x


def test_subclassed_model_trains_and_summarizes():
    net, _ = _trained()
    assert [layer.name for layer in net.layers] == ["dense", "dense_1"]
    lines = []
    net.summary(print_fn=lines.append)
    assert "dense (Dense)                multiple                  16        " in lines
    assert "Total params: 21" in lines


def test_subclassed_model_weights_round_trip(tmp_path):
    net, x = _trained()
    net.save_weights(tmp_path / "w.h5")
    other = Net()
    other(x)
    other.load_weights(tmp_path / "w.h5")
    np.testing.assert_array_equal(other.predict(x, verbose=0), net.predict(x, verbose=0))


def test_subclassed_model_refuses_full_save(tmp_path):
    net, _ = _trained()
    with pytest.raises(NotImplementedError, match="subclassed model"):
        net.save(tmp_path / "m.h5")
    assert not (tmp_path / "m.h5").exists()


def test_unbuilt_subclassed_summary_error():
    with pytest.raises(ValueError, match="not yet been built"):
        Net().summary()


class TwoInputs(ok.models.Model):
    def __init__(self):
        super().__init__()
        self.a = Dense(3)
        self.b = Dense(3)
        self.out = Dense(1)

    def call(self, inputs):
        if isinstance(inputs, dict):
            inputs = [inputs["left"], inputs["right"]]
        left, right = inputs
        return self.out(self.a(left) + self.b(right))


def test_subclassed_model_with_two_inputs_fits_on_lists_and_dicts():
    rng = np.random.default_rng(0)
    xl, xr = rng.random((16, 4), dtype=np.float32), rng.random((16, 2), dtype=np.float32)
    y = rng.random((16, 1), dtype=np.float32)
    net = TwoInputs()
    net.compile("sgd", "mse")
    net.fit([xl, xr], y, epochs=2, verbose=0)
    assert net.predict([xl, xr], verbose=0).shape == (16, 1)
    assert isinstance(net.evaluate([xl, xr], y, verbose=0), float)
    other = TwoInputs()
    other.compile("sgd", "mse")
    other.fit({"left": xl, "right": xr}, y, verbose=0)
    np.testing.assert_allclose(other.predict({"left": xl, "right": xr}, verbose=0),
                               other([xl, xr]).detach().numpy(), rtol=1e-6)

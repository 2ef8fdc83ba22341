import json
import random
import subprocess
import sys

import numpy as np
import pytest
import torch

from openkeras import config
from openkeras.utils import set_random_seed


def test_defaults():
    assert config.floatx() == "float32"
    assert config.epsilon() == 1e-7
    assert config.image_data_format() == "channels_last"


def test_setters_validate():
    with pytest.raises(ValueError, match="channels_middle"):
        config.set_image_data_format("channels_middle")
    with pytest.raises(ValueError, match="float8"):
        config.set_floatx("float8")
    old = config.epsilon()
    config.set_epsilon(1e-5)
    assert config.epsilon() == 1e-5
    config.set_epsilon(old)


def test_config_file_is_read_from_openkeras_home(tmp_path):
    (tmp_path / "openkeras.json").write_text(json.dumps(
        {"floatx": "float64", "epsilon": 1e-4, "image_data_format": "channels_first"}))
    code = ("from openkeras import config; "
            "print(config.floatx(), config.epsilon(), config.image_data_format())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"OPENKERAS_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert out.stdout.split() == ["float64", "0.0001", "channels_first"]


def test_set_random_seed_seeds_python_numpy_and_torch():
    set_random_seed(3)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    set_random_seed(3)
    b = (random.random(), np.random.rand(), torch.rand(1).item())
    assert a == b


def test_same_seed_same_initial_weights():
    from openkeras import layers

    set_random_seed(1)
    w1 = layers.Dense(4)
    w1.build((None, 3))
    set_random_seed(1)
    w2 = layers.Dense(4)
    w2.build((None, 3))
    np.testing.assert_array_equal(w1.get_weights()[0], w2.get_weights()[0])

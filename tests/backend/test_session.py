import types
import warnings

import pytest
import torch

from openkeras import backend as K
from openkeras import config, layers


def tf_session(**options):
    """An object shaped like ``tf.Session(config=ConfigProto(...))`` (TensorFlow is not needed)."""
    gpu = types.SimpleNamespace(per_process_gpu_memory_fraction=options.pop("fraction", 0.0),
                                allow_growth=options.pop("allow_growth", False))
    return types.SimpleNamespace(_config=types.SimpleNamespace(gpu_options=gpu, **options))


def test_set_session_memory_fraction_on_cpu_prints_a_note(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(UserWarning, match=r"per_process_gpu_memory_fraction=0.3 has no effect"):
        K.set_session(tf_session(fraction=0.3))


def test_set_session_memory_fraction_applies_to_every_cuda_device(monkeypatch):
    calls = []
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_per_process_memory_fraction",
                        lambda fraction, device: calls.append((fraction, device)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        K.set_session(tf_session(fraction=0.3, allow_growth=True))
    assert calls == [(0.3, 0), (0.3, 1)]


def test_set_session_threads_and_cpu_only_config():
    threads = torch.get_num_threads()
    proto = types.SimpleNamespace(intra_op_parallelism_threads=1, inter_op_parallelism_threads=0,
                                  device_count={"GPU": 0}, gpu_options=None)
    try:
        K.set_session(proto)  # a ConfigProto-like object works too
        assert torch.get_num_threads() == 1
        assert config.device().type == "cpu"
    finally:
        torch.set_num_threads(threads)
        config.set_device(None)


def test_set_session_without_config_and_get_session_explain():
    with pytest.warns(UserWarning, match="nothing to apply"):
        K.set_session(object())
    assert K.get_session() is K.get_session()  # one session object; run() is tested elsewhere


def test_tensorflow_backend_module_path():
    from openkeras.backend import tensorflow_backend

    assert tensorflow_backend.set_session is K.set_session
    assert tensorflow_backend.mean is K.mean
    expected = torch.cuda.device_count() if torch.cuda.is_available() else 0
    assert len(tensorflow_backend._get_available_gpus()) == expected


def test_clear_session_resets_uids_and_config_setters():
    assert K.backend() == "torch"
    assert layers.Dense(1).name == "dense"
    assert layers.Dense(1).name == "dense_1"
    assert K.get_uid("x") == 1 and K.get_uid("x") == 2
    K.clear_session()
    assert layers.Dense(1).name == "dense" and K.get_uid("x") == 1
    K.reset_uids()
    assert K.get_uid("x") == 1
    eps, fmt = K.epsilon(), K.image_data_format()
    try:
        K.set_epsilon(1e-4)
        K.set_image_data_format("channels_first")
        assert K.epsilon() == 1e-4 and K.image_data_format() == "channels_first"
        K.set_floatx("float64")
        assert K.dtype(K.variable(1.0)) == "float64"
    finally:
        K.set_epsilon(eps)
        K.set_image_data_format(fmt)
        K.set_floatx("float32")

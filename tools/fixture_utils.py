"""Shared helpers for the golden-file generators (run only inside tools/.tfenv).

Every generator seeds numpy, builds a tf_keras object, overwrites its weights with
values drawn from a seeded numpy generator, and writes plain ``.npz``/``.json`` files
under ``tests/fixtures``. Nothing here is imported by openkeras or its tests.
"""

import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYTHONHASHSEED", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

# Weight names whose values must stay positive (scales and variances).
_POSITIVE = ("moving_variance", "gamma", "scale")
# Weights larger than this are drawn sparse and quantised so the npz compresses well.
_BIG = 20000


def reset(seed: int = 0) -> np.random.Generator:
    """Clear the Keras session (fresh layer names) and return a seeded numpy generator.

    Args:
        seed: Seed for numpy, TF and Python's random.
    """
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    return np.random.default_rng(seed)


def seeded_weights(obj, rng: np.random.Generator, scale: float = 0.5,
                   quantize: bool = False) -> list:
    """Overwrite every weight of a layer or model with seeded values; return them.

    Kernels (2+ dims) are uniform in +-sqrt(3 / fan_in) (fan_in = product of all but the
    last dim; all but the last two for depthwise kernels) so activations stay moderate;
    other weights are uniform in +-scale, and scales/variances are uniform in [0.5, 1.5].
    Kernels with more than 20,000 entries are 90% zeros and otherwise multiples of
    limit * 3 / 8, so that large models still give small compressed fixtures.

    Args:
        obj: A built tf_keras layer or model.
        rng: The numpy generator to draw from.
        scale: Half-width of the uniform range for 0-d and 1-d weights.
        quantize: Draw every kernel as multiples of limit / 8 (17 levels), so that even
            an uncompressed HDF5 file of the model gzips well.
    """
    values = []
    for w in obj.weights:
        shape = tuple(w.shape)
        name = w.name.split("/")[-1]
        if "int" in w.dtype.name:
            values.append(np.zeros(shape, w.dtype.as_numpy_dtype))
        elif any(name.startswith(p) for p in _POSITIVE):
            values.append(rng.uniform(0.5, 1.5, shape).astype(np.float32))
        elif len(shape) < 2:
            values.append(rng.uniform(-scale, scale, shape).astype(np.float32))
        else:
            fan_in = int(np.prod(shape[:-2] if name.startswith("depthwise") else shape[:-1]))
            limit = min(1.0, float(np.sqrt(3.0 / max(1, fan_in))))
            if quantize:
                levels = rng.integers(-8, 9, shape).astype(np.float32) * (limit / 8)
                values.append(levels.astype(np.float32))
            elif int(np.prod(shape)) > _BIG:
                levels = rng.integers(-8, 9, shape).astype(np.float32) * (limit * 3 / 8)
                sparse = np.where(rng.random(shape) < 0.1, levels, 0.0)
                values.append(sparse.astype(np.float32))
            else:
                values.append(rng.uniform(-limit, limit, shape).astype(np.float32))
    obj.set_weights(values)
    return [np.asarray(v) for v in obj.get_weights()]


def shape_list(shape):
    """Turn a (possibly nested) TensorShape/tuple into JSON lists with null for None.

    Args:
        shape: A tuple, TensorShape, or list/dict of them.
    """
    if isinstance(shape, dict):
        return {k: shape_list(v) for k, v in shape.items()}
    if isinstance(shape, tf.TensorShape):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple,
                                                                            tf.TensorShape)):
        return [shape_list(s) for s in shape]
    return [None if d is None else int(d) for d in shape]


def to_jsonable(obj):
    """Convert numpy scalars/arrays and tuples inside a config into plain JSON values.

    Args:
        obj: Any config-like structure.
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, tf.DType):
        return obj.name
    if isinstance(obj, tf.TensorShape):
        return None if obj.rank is None else obj.as_list()
    return obj


def write_json(path: Path, data) -> None:
    """Write ``data`` as indented, key-sorted JSON.

    Args:
        path: Destination file.
        data: JSON-able structure (numpy values are converted).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_jsonable(data), indent=1, sort_keys=True) + "\n")


def write_npz(path: Path, arrays: dict) -> None:
    """Write arrays to a compressed ``.npz``.

    Args:
        path: Destination file.
        arrays: Mapping of key to array-like.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **{k: np.asarray(v) for k, v in arrays.items()})


def as_list(x) -> list:
    """Wrap a single array/tensor in a list; pass lists through.

    Args:
        x: An array, tensor, or list/tuple of them.
    """
    return list(x) if isinstance(x, (list, tuple)) else [x]


def pack_model_arrays(weights, inputs, outputs, prefix: str = "") -> dict:
    """Name arrays ``w0..``, ``x0..``, ``y0..`` (optionally prefixed) for an npz.

    Args:
        weights: List of weight arrays in get_weights() order.
        inputs: One input array or a list of them.
        outputs: One output array or a list of them.
        prefix: Key prefix, e.g. ``"lstm_seq__"``.
    """
    arrays = {f"{prefix}w{i}": w for i, w in enumerate(weights)}
    arrays.update({f"{prefix}x{i}": np.asarray(x) for i, x in enumerate(as_list(inputs))})
    arrays.update({f"{prefix}y{i}": np.asarray(y) for i, y in enumerate(as_list(outputs))})
    return arrays

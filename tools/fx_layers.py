"""Family ``layers``: single-layer (or tiny-model) forward passes with seeded weights.

Each sub-family writes ``layers/<family>.npz`` and ``layers/<family>.json``. A case is a
dict made by :func:`case`; the case lists live in ``fx_layers_conv.py`` and
``fx_layers_misc.py``.
"""

import numpy as np
from fixture_utils import (
    FIXTURES,
    as_list,
    reset,
    seeded_weights,
    shape_list,
    write_json,
    write_npz,
)

OUT = FIXTURES / "layers"


def case(name: str, layer, inputs, *, unpack: bool = False, training: bool = False,
         **call_kwargs) -> dict:
    """Describe one layer case.

    Args:
        name: Case name, used as the npz key prefix.
        layer: The tf_keras layer or model (not yet built).
        inputs: One input array or a list of them.
        unpack: Call ``layer(*inputs)`` instead of ``layer(inputs)``.
        training: Value of the ``training`` argument for the recorded call.
        **call_kwargs: Extra call arguments (arrays, lists of arrays, or plain values).
    """
    return {"name": name, "layer": layer, "inputs": inputs, "unpack": unpack,
            "training": training, "kwargs": call_kwargs}


def _call(spec: dict, training: bool):
    args = spec["inputs"] if spec["unpack"] else [spec["inputs"]]
    return spec["layer"](*args, training=training, **spec["kwargs"])


def run_case(spec: dict, rng: np.random.Generator) -> tuple:
    """Build a case, seed its weights, run it and return (arrays, json entry).

    Args:
        spec: A dict made by :func:`case`.
        rng: Generator for the weights.
    """
    name, layer = spec["name"], spec["layer"]
    _call(spec, training=False)  # builds the layer
    weights = seeded_weights(layer, rng)
    outputs = as_list(_call(spec, training=spec["training"]))
    arrays = {f"{name}__w{i}": w for i, w in enumerate(weights)}
    arrays.update({f"{name}__x{i}": np.asarray(x) for i, x in enumerate(as_list(spec["inputs"]))})
    kwarg_keys = {}
    for key, value in spec["kwargs"].items():
        if isinstance(value, np.ndarray):
            arrays[f"{name}__arg_{key}"] = value
            kwarg_keys[key] = f"{name}__arg_{key}"
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            kwarg_keys[key] = []
            for i, v in enumerate(value):
                arrays[f"{name}__arg_{key}{i}"] = v
                kwarg_keys[key].append(f"{name}__arg_{key}{i}")
        else:
            kwarg_keys[key] = value
    for i, y in enumerate(outputs):
        arrays[f"{name}__y{i}"] = np.asarray(y)
        mask = getattr(y, "_keras_mask", None)
        if mask is not None:
            arrays[f"{name}__ymask{i}"] = np.asarray(mask)
    if spec["training"]:
        arrays.update({f"{name}__w_after{i}": np.asarray(w)
                       for i, w in enumerate(layer.get_weights())})
    entry = {
        "case": name,
        "class_name": layer.__class__.__name__,
        "config": layer.get_config(),
        "input_shape": shape_list([np.shape(x) for x in as_list(spec["inputs"])]),
        "output_shape": shape_list([tuple(y.shape) for y in outputs]),
        "n_weights": len(layer.weights),
        "n_trainable_weights": len(layer.trainable_weights),
        "weight_names": [w.name for w in layer.weights],
        "call_kwargs": kwarg_keys,
        "unpack": spec["unpack"],
        "training": spec["training"],
    }
    return arrays, entry


def write_family(family: str, build_cases, seed: int) -> None:
    """Run every case of a family and write its npz and json.

    Args:
        family: Family name (file stem).
        build_cases: Function taking a numpy generator and returning case dicts.
        seed: Seed for inputs and weights.
    """
    rng = reset(seed)
    arrays, entries = {}, []
    for spec in build_cases(rng):
        case_arrays, entry = run_case(spec, rng)
        arrays.update(case_arrays)
        entries.append(entry)
    write_npz(OUT / f"{family}.npz", arrays)
    write_json(OUT / f"{family}.json", entries)
    print(f"layers/{family}: {len(entries)} cases")


def make() -> None:
    """Write every layer family."""
    import fx_layers_conv
    import fx_layers_misc

    families = {**fx_layers_conv.FAMILIES, **fx_layers_misc.FAMILIES}
    for seed, (family, build_cases) in enumerate(families.items()):
        write_family(family, build_cases, 1000 + seed)


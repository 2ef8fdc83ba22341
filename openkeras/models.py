"""Model-level helpers: model_from_json / yaml / config, clone_model."""

import json

import numpy as np

from openkeras.engine.sequential import Sequential  # noqa: F401
from openkeras.engine.training import Model  # noqa: F401  (Model(inputs, outputs) is functional)
from openkeras.saving import load_model, save_model  # noqa: F401


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (np.dtype, type)):
        return str(np.dtype(obj).name)
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    raise TypeError(f"Cannot serialize {obj!r} of type {type(obj).__name__} to JSON.")


def model_config(model):
    from openkeras import __version__
    from openkeras.engine.functional_config import class_name_of

    return {"class_name": class_name_of(model), "config": model.get_config(),
            "keras_version": __version__, "backend": "torch"}


def model_to_json(model, **kwargs):
    return json.dumps(model_config(model), default=_json_default, **kwargs)


def model_to_yaml(model, **kwargs):
    import yaml

    return yaml.safe_dump(json.loads(model_to_json(model)), **kwargs)


def model_from_config(config, custom_objects=None):
    """A model (or layer) from ``{'class_name', 'config'}``."""
    from openkeras import saving

    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. "
                        f"Received: config={config!r}. Did you meant to use `Sequential.from_config(config)`?")
    return saving.model_from_config(config, custom_objects=custom_objects)  # Keras 1, 2 and 3 configs


def model_from_json(json_string, custom_objects=None):
    """A model from the JSON written by ``model.to_json()`` (here or by Keras 2)."""
    from openkeras.saving import hdf5_format

    if not isinstance(json_string, (str, bytes, bytearray)):
        raise TypeError("model_from_json: `json_string` must be the JSON text of a model "
                        f"(str). Received: a {type(json_string).__name__}; for a config dict, "
                        "use `model_from_config`.")
    config = hdf5_format.parse_config(json_string, "the JSON string")
    return model_from_config(config, custom_objects=custom_objects)


def model_from_yaml(yaml_string, custom_objects=None):
    """A model from YAML (plain data only: no tags, no aliases; bounded in size and depth)."""
    from openkeras.saving import yaml_config

    return model_from_config(yaml_config.parse(yaml_string), custom_objects=custom_objects)


def from_torch_export(path, name=None):
    """Load a torch.export program (``.pt2``) as a predict-only Keras model.

    Args:
        path: a file written by ``model.export('m.pt2')`` or ``torch.export.save``.
        name: the model's name (default: the exported model's).
    """
    from openkeras.export.program_model import from_torch_export as load  # export is above models

    return load(path, name=name)

"""Model configs written by any Keras version (1, 2, tf.keras, 3), made Keras 2 and rebuilt."""

from openkeras import layers
from openkeras.saving import keras1, keras_archive
from openkeras.saving.errors import check_config_depth, reading
from openkeras.saving.json_utils import parse_config


def normalize_model_config(config, keras_version=None):
    """A Keras 2 model config from one written by Keras 1, 2 or 3 (JSON text or a dict).

    Args:
        config: ``{'class_name', 'config'}`` (or its JSON, possibly double-encoded).
        keras_version: the version that wrote it, when the file says so.
    """
    if isinstance(config, (str, bytes)):  # parse_config checks the depth
        config = parse_config(config, "the model config")
    elif not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A model config must be a {{'class_name', 'config'}} dict. Received: "
                         f"{str(config)[:200]}")
    else:
        check_config_depth(config, "the model config")
    return upgrade_config(config, keras_version)


def upgrade_config(config, keras_version=None):
    """A Keras 2 model config from a parsed and checked one of Keras 1, 2 or 3.

    Args:
        config: a ``{'class_name', 'config'}`` dict (from ``parse_config``).
        keras_version: the version that wrote it, when the file says so.
    """
    keras_version = keras_version or config.get("keras_version")
    config = keras_archive.to_keras2_config(config, str(keras_version or "").startswith("3"))
    if keras1.is_keras1_config(config, keras_version):
        config = keras1.convert_model_config(config)
    return config


def model_from_config(config, custom_objects=None, keras_version=None):
    """A model from a config written by any Keras version (see ``normalize_model_config``)."""
    with reading("the model config", "its layers"):
        return layers.deserialize(normalize_model_config(config, keras_version),
                                  custom_objects=custom_objects)

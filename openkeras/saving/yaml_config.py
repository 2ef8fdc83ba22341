"""Model configs in YAML, read as plain data only: no tags, no aliases, bounded size and depth.

``yaml.safe_load`` already refuses Python tags, but it expands aliases: a few hundred bytes
of nested aliases (a "billion laughs" document) expand to billions of entries, and an alias
that points into its own node makes a self-referencing config. Keras writes YAML without
aliases, so they are refused outright.
"""

import numpy as np
import yaml

from openkeras.saving.errors import FileFormatError, check_config_depth, check_config_text

# Composing nodes recurses; a document nested deeper than this is refused before that.
_MAX_YAML_DEPTH = 200


class _PlainLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and bounds the nesting while composing."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise FileFormatError(f"the YAML config uses an alias (*{event.anchor}) at line "
                                  f"{event.start_mark.line + 1}; model configs are plain data "
                                  "and may not use anchors or aliases.")
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > _MAX_YAML_DEPTH:
                raise FileFormatError(f"the YAML config is nested more than {_MAX_YAML_DEPTH} "
                                      "levels deep.")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_flow_depth(text):
    """Refuse deeply nested [ ] / { } before PyYAML's scanner spends seconds on them."""
    data = np.frombuffer(text.encode("utf-8", "replace") if isinstance(text, str) else text,
                         dtype=np.uint8)
    opens = (data == ord("[")) | (data == ord("{"))
    closes = (data == ord("]")) | (data == ord("}"))
    depth = np.cumsum(opens.astype(np.int64) - closes.astype(np.int64))
    if depth.size and depth.max() > _MAX_YAML_DEPTH:
        raise FileFormatError(f"the YAML config is nested more than {_MAX_YAML_DEPTH} levels "
                              "deep.")


def parse(text):
    """The config dict in YAML ``text`` (str or bytes), or a FileFormatError saying why not."""
    if not isinstance(text, (str, bytes)):
        raise FileFormatError(f"model_from_yaml expects a YAML string. Received: "
                              f"{type(text).__name__}")
    check_config_text(text, "the YAML string")
    _check_flow_depth(text)
    try:
        config = yaml.load(text, Loader=_PlainLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise FileFormatError(f"the YAML string is not valid YAML: {e}") from e
    except RecursionError as e:
        raise FileFormatError("the YAML string is nested too deeply") from e
    if not isinstance(config, dict) or "class_name" not in config:
        raise FileFormatError("the YAML string does not hold a {'class_name', 'config'} dict "
                              f"(it holds {type(config).__name__}).")
    return check_config_depth(config, "the YAML string")


def dump(config, **kwargs):
    """``config`` (plain data) as YAML text; ``kwargs`` go to ``yaml.safe_dump``."""
    return yaml.safe_dump(config, **kwargs)

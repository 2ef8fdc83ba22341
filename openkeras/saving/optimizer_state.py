"""Optimizer state stored by other Keras versions, rearranged into openkeras's weight order.

openkeras (like tf.keras 2's legacy optimizers) orders the state as ``iterations``, the
scalar extras (Nadam's momentum cache), then one slot for every parameter, slot by slot.
Other writers differ:

- tf.keras >= 2.11 (``Custom>Adam``): ``iteration:0`` then, parameter by parameter, its
  slots named ``Adam/m/dense/kernel:0``, ``Adam/v/dense/kernel:0``, ...
- Keras 3 (legacy ``.h5``): ``adam/iteration``, ``adam/learning_rate``, then
  ``adam/<path>_momentum``, ``adam/<path>_velocity`` (slot names of their own).
- Keras 2.2.4: no ``iterations`` for RMSprop, Adagrad and Adadelta, SGD moments even
  without momentum, Adam ``vhat`` placeholders of shape (1,) without amsgrad, and no Nadam
  momentum cache.

Slots are matched by name, parameters by their order (the order of the model's trainable
weights in every Keras version).
"""

import numpy as np

# Slot names of the newer optimizers (tf.keras >= 2.11 and Keras 3) -> openkeras slot names.
_SLOTS = {
    "SGD": {"m": "momentum", "momentum": "momentum"},
    "RMSprop": {"velocity": "rms", "momentum": "momentum", "average_gradient": "mg"},
    "Adagrad": {"accumulator": "accumulator", "accumulators": "accumulator"},
    "Adadelta": {"accumulated_grad": "accum_grad", "accumulated_delta_var": "accum_var"},
    "Adam": {"m": "m", "v": "v", "vhat": "vhat", "momentum": "m", "velocity": "v",
             "velocity_hat": "vhat"},
    "Adamax": {"m": "m", "u": "v", "momentum": "m", "norm": "v"},
    "Nadam": {"m": "m", "v": "v", "momentum": "m", "velocity": "v"},
}


def _family(optimizer) -> str:
    for cls in type(optimizer).__mro__:
        if cls.__name__ in _SLOTS:
            return cls.__name__
    return ""


def _strip(name: str) -> str:
    return name[:-2] if name.endswith(":0") else name


def _split_new(name: str, family: str):
    """(kind, slot) of a tf.keras >= 2.11 or Keras 3 weight name; kind is the scalar's name."""
    name = _strip(name)
    if "/" not in name:
        return name, None  # tf.keras 2.11+: "iteration"
    head, rest = name.split("/", 1)
    if rest in ("iteration", "learning_rate", "u_product"):
        return rest, None
    if "/" in rest:  # tf.keras 2.11+: "Adam/m/dense/kernel"
        return None, rest.split("/", 1)[0]
    for slot in sorted(_SLOTS.get(family, {}), key=len, reverse=True):  # Keras 3 suffixes
        if rest.endswith("_" + slot):
            return None, slot
    return None, ""


def _is_new_format(names) -> bool:
    first = _strip(str(names[0])) if names else ""
    return first == "iteration" or first.endswith("/iteration")


def _from_new_format(optimizer, names, values):
    family = _family(optimizer)
    mapping = _SLOTS.get(family, {})
    scalars, slots = {}, {}
    for name, value in zip(names, values, strict=True):
        kind, slot = _split_new(str(name), family)
        if kind is not None:
            scalars[kind] = value
        elif slot not in mapping:
            raise ValueError(f"the saved optimizer weight {name!r} has no counterpart in "
                             f"openkeras's {type(optimizer).__name__}")
        else:
            slots.setdefault(mapping[slot], []).append(value)
    if "learning_rate" in scalars and not callable(optimizer._hyper.get("learning_rate")):
        optimizer.learning_rate = float(np.asarray(scalars["learning_rate"]))
    iterations = int(np.asarray(scalars.get("iteration", 0)))
    out = [np.asarray(iterations, np.int64)]
    for extra in optimizer._extra:
        if extra == "momentum_cache":
            # Their Nadam's u_product follows 0.96 ** t, not Keras 2's 0.96 ** (0.004 t):
            # recompute ours from the step count.
            out.append(optimizer.momentum_cache_after(iterations))
    for slot in optimizer.get_slot_names():
        if slot not in slots:
            raise ValueError(f"the saved optimizer state has no {slot!r} slot")
        out.extend(slots[slot])
    return out


def _from_keras_2_2(optimizer, values):
    """Keras 2.2.4's lists (told apart by their length) in openkeras's order."""
    family, n = _family(optimizer), len(optimizer._params or ())
    expected = len(optimizer.weights)
    if len(values) == expected or n == 0:
        return values
    zero = np.asarray(0, np.int64)
    if family in ("RMSprop", "Adagrad", "Adadelta") and len(values) == expected - 1:
        return [zero, *values]
    if family == "SGD" and expected == 1 and len(values) == 1 + n:
        return values[:1]  # moments of an SGD without momentum: multiplied by 0, unused
    if family == "Adam" and len(values) == expected + n and all(
            np.shape(v) == (1,) for v in values[-n:]):
        return values[:-n]  # vhat placeholders of an Adam without amsgrad
    if family == "Nadam" and len(values) == expected - 1:
        iterations = int(np.asarray(values[0]))
        return [values[0], optimizer.momentum_cache_after(iterations), *values[1:]]
    return values


def convert_optimizer_weights(optimizer, names, values) -> list:
    """The stored optimizer state ``values`` (named ``names``) in ``optimizer``'s order.

    The optimizer must be built. Raises ValueError when the state cannot be mapped.

    Args:
        optimizer: A built openkeras optimizer.
        names: The stored weight names (``weight_names`` of ``optimizer_weights``).
        values: The stored arrays, in file order.
    """
    values = list(values)
    if not hasattr(optimizer, "_slots") or not values:
        return values
    if names is not None and len(names) == len(values) and _is_new_format(list(names)):
        return _from_new_format(optimizer, list(names), values)
    return _from_keras_2_2(optimizer, values)

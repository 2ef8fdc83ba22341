"""Match the weights stored for one layer to the layer's weights, tolerating naming quirks.

Files name a layer's weights in many ways: ``conv2d_1_1/kernel:0`` in group ``conv2d_1``,
``lstm/lstm_cell/kernel:0``, ``global/shared/dense_1_W:0``, ``sequential/dense/kernel``, or
``beta`` listed before ``gamma``. When the trailing components of the stored names identify
each of the layer's weights one to one, arrays are put in the layer's order by name;
otherwise the stored order is used, as Keras 2 itself did.
"""


def weight_key(name, depth=1):
    """The last ``depth`` path components of a weight name, without the ``:0`` suffix."""
    name = str(name)
    if ":" in name:
        name = name.rsplit(":", 1)[0]
    return "/".join(name.split("/")[-depth:])


def _layer_weight_names(layer):
    names = []
    for w in layer.weights:
        name = getattr(w, "name", None) or getattr(w, "_keras_name", None) or ""
        names.append(name)
    return names


def order_by_name(layer, stored_names, values):
    """Reorder ``values`` (stored with ``stored_names``) into the layer's weight order.

    Returns ``values`` unchanged when names cannot decide (different counts, names that do
    not match, or repeated names such as the two halves of a Bidirectional layer).

    Args:
        layer: the target layer.
        stored_names: weight names as stored in the file.
        values: the arrays, in stored order.
    """
    names = _layer_weight_names(layer)
    if len(names) != len(values) or len(stored_names) != len(values):
        return list(values)
    for depth in (1, 2, 3):
        wanted = [weight_key(n, depth) for n in names]
        have = [weight_key(n, depth) for n in stored_names]
        if len(set(wanted)) != len(wanted) or len(set(have)) != len(have):
            continue
        if set(wanted) == set(have):
            position = {key: i for i, key in enumerate(have)}
            return [values[position[key]] for key in wanted]
    return list(values)

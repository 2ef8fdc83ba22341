"""The embedding projector (``embeddings_freq``): which matrices are shown, with which labels.

With ``embeddings_data`` (Keras 2.2.4) the points are the outputs of the named layers for that
data, each flattened to one row per sample; without it (tf.keras 2) they are the weight matrices
of the model's ``Embedding`` layers, one row per vocabulary entry.
"""

import os

import numpy as np

from openkeras.engine.training import Model


def read_metadata(path, log_dir):
    """``(labels, header)`` of a projector metadata file.

    A one-column file is one label per line; a file with tabs has a header row, then one row of
    columns per point (TensorBoard's format). A relative path is looked up as given, then in
    ``log_dir`` (where Keras 2 expected it).
    """
    path = os.fspath(path)
    candidates = [path] if os.path.isabs(path) else [path, os.path.join(log_dir, path)]
    found = next((c for c in candidates if os.path.isfile(c)), None)
    if found is None:
        raise FileNotFoundError(f"TensorBoard: the embeddings_metadata file {path!r} does not "
                                f"exist (looked for {candidates}).")
    with open(found, encoding="utf-8") as f:
        rows = f.read().splitlines()
    while rows and not rows[-1]:
        rows.pop()
    if any("\t" in row for row in rows):
        return [row.split("\t") for row in rows[1:]], rows[0].split("\t")
    return rows, None


def metadata_paths(metadata, names):
    """``{layer name: metadata file}`` from a file name (every layer) or a dict by layer name."""
    if metadata is None:
        return {}
    if isinstance(metadata, (str, os.PathLike)):
        return dict.fromkeys(names, metadata)
    unknown = sorted(set(metadata) - set(names))
    if unknown:
        raise ValueError(f"TensorBoard: embeddings_metadata names layers that are not embedded: "
                         f"{unknown}; embedded layers: {sorted(names)}")
    return dict(metadata)


def embedded_layer_names(model, layer_names, with_data):
    """The layers whose embeddings are shown: ``layer_names``, else every Embedding layer."""
    if layer_names is None:
        names = [layer.name for layer in model.layers if type(layer).__name__ == "Embedding"]
    else:
        names = [layer_names] if isinstance(layer_names, str) else list(layer_names)
    for name in names:
        layer = model.get_layer(name)  # raises a clear error for an unknown name
        if not with_data and type(layer).__name__ != "Embedding":
            raise ValueError(f"TensorBoard: layer {name!r} in embeddings_layer_names is a "
                             f"{type(layer).__name__}, not an Embedding layer; pass "
                             "`embeddings_data` to project its outputs instead.")
    return names


def layer_outputs_model(model, names):
    """A model from the model's inputs to the outputs of the layers ``names`` (shared weights)."""
    return Model(model.inputs, [model.get_layer(name).output for name in names])


def embedding_matrices(model, names, data, outputs_model, batch_size):
    """``{layer name: (points, features) array}`` for the layers ``names``.

    Args:
        model: the model.
        names: the embedded layers.
        data: ``embeddings_data`` or None (Embedding weights).
        outputs_model: ``layer_outputs_model(model, names)`` when ``data`` is given.
        batch_size: batch size for running ``data`` through the model.
    """
    if data is None:
        return {name: model.get_layer(name).get_weights()[0] for name in names}
    outputs = outputs_model.predict(data, batch_size=batch_size, verbose=0)
    if len(names) == 1:
        outputs = [outputs]
    return {name: np.reshape(out, (out.shape[0], -1)) for name, out in zip(names, outputs,
                                                                           strict=True)}

"""Drawing models and training runs: ``model_to_dot``, ``plot_model`` and ``plot_history``."""

import os
import shutil

from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import InputLayer
from openkeras.engine.node import node_key
from openkeras.engine.training import Model
from openkeras.layers.wrappers import Wrapper

_INSTALL_MESSAGE = ("You must install pydot (`pip install pydot`) and install graphviz (see "
                    "instructions at https://graphviz.gitlab.io/download/) for plot_model to work.")
_RAW_FORMATS = ("dot", "gv")
_IMAGE_FORMATS = ("png", "jpg", "jpeg", "gif")


def _pydot():
    try:
        import pydot  # optional dependency (the plot extra)
    except ImportError as e:
        raise ImportError(_INSTALL_MESSAGE) from e
    return pydot


def _check_graphviz():
    if shutil.which("dot") is None:
        raise OSError(_INSTALL_MESSAGE + " The graphviz program `dot` was not found on the PATH.")


def _is_graph_network(model):
    return bool(getattr(model, "inputs", None)) and hasattr(model, "_network_nodes")


def _format_shape(shape):
    return str(shape).replace(str(None), "None")


def _label(layer, show_shapes, show_layer_names, wrapper_inline):
    name, class_name = layer.name, type(layer).__name__
    if wrapper_inline:
        name = f"{name}({layer.layer.name})"
        class_name = f"{class_name}({type(layer.layer).__name__})"
    label = f"{name}: {class_name}" if show_layer_names else class_name
    if not show_shapes:
        return label
    try:
        outputs = _format_shape(layer.output_shape)
    except AttributeError:
        outputs = "?"
    if isinstance(layer, InputLayer):
        inputs = outputs  # an InputLayer's node has no inputs; Keras shows the shape twice
    else:
        try:
            inputs = _format_shape(layer.input_shape)
        except AttributeError:
            inputs = "?"
    return f"{label}\n|{{input:|output:}}|{{{{{inputs}}}|{{{outputs}}}}}"


def _add_edge(pydot, dot, src, dst):
    if not dot.get_edge(src, dst):
        dot.add_edge(pydot.Edge(src, dst))


def model_to_dot(model, show_shapes: bool = False, show_layer_names: bool = True,
                 rankdir: str = "TB", expand_nested: bool = False, dpi: int = 96,
                 subgraph: bool = False):
    """A pydot graph of the model: one node per layer, one edge per connection.

    Nodes are named ``str(id(layer))`` and labelled 'name: ClassName'.

    Args:
        model: a built model.
        show_shapes: add a table of each layer's input and output shapes to its node.
        show_layer_names: put layer names in the labels.
        rankdir: graphviz direction: 'TB' (vertical) or 'LR' (horizontal).
        expand_nested: draw nested models (and models inside wrappers) as clusters.
        dpi: resolution of rendered images.
        subgraph: return a ``pydot.Cluster`` (used for nested models) instead of a ``pydot.Dot``.
    """
    pydot = _pydot()
    if not model.built or (hasattr(model, "_seq") and not model.inputs):
        raise ValueError(f"This model has not yet been built. Build the model first by calling "
                         f"`build()` or by calling the model on a batch of data. Received: "
                         f"model {model.name!r}")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set_node_defaults(shape="record")
    if not _is_graph_network(model):
        dot.add_node(pydot.Node(str(id(model)), label=model.name))
        return dot

    layers = list(model._layer_list)
    entry, exit_ = {}, {}  # node names where edges into / out of an expanded layer attach
    for layer in layers:
        layer_id = str(id(layer))
        nested = expand_nested and isinstance(layer, Functional)
        is_wrapper = isinstance(layer, Wrapper)
        expand_wrapped = expand_nested and is_wrapper and isinstance(layer.layer, Functional)
        if nested or expand_wrapped:
            cluster = model_to_dot(layer if nested else layer.layer, show_shapes,
                                   show_layer_names, rankdir, expand_nested, dpi, subgraph=True)
            nodes = cluster.get_nodes()
            dot.add_subgraph(cluster)
            if nested:
                entry[layer_id] = nodes[0].get_name()
            exit_[layer_id] = nodes[-1].get_name()
        if not nested:
            inline = is_wrapper and not expand_wrapped
            dot.add_node(pydot.Node(layer_id, label=_label(layer, show_shapes,
                                                           show_layer_names, inline)))
            if expand_wrapped:
                _add_edge(pydot, dot, layer_id, nodes[0].get_name())

    for layer in layers:
        dst = entry.get(str(id(layer)), str(id(layer)))
        for i, node in enumerate(layer._inbound_nodes):
            if node_key(layer, i) not in model._network_nodes:
                continue
            for tensor in node.keras_inputs:
                src_id = str(id(tensor._keras_history[0]))
                _add_edge(pydot, dot, exit_.get(src_id, src_id), dst)
    return dot


def plot_model(model, to_file: str = "model.png", show_shapes: bool = False,
               show_layer_names: bool = True, rankdir: str = "TB", expand_nested: bool = False,
               dpi: int = 96):
    """Draw the model into ``to_file``, in the format named by its extension.

    '.dot' / '.gv' files get the graph's dot source (pydot only); other formats ('.png',
    '.svg', '.pdf', ...) are rendered by graphviz's ``dot`` program. Returns an
    ``IPython.display.Image`` for raster images when IPython is installed, else None.

    Args:
        model: a built model.
        to_file: the file to write (no extension: PNG).
        show_shapes: add each layer's input and output shapes.
        show_layer_names: put layer names in the labels.
        rankdir: 'TB' (vertical) or 'LR' (horizontal).
        expand_nested: draw nested models as clusters.
        dpi: resolution of raster images.
    """
    dot = model_to_dot(model, show_shapes=show_shapes, show_layer_names=show_layer_names,
                       rankdir=rankdir, expand_nested=expand_nested, dpi=dpi)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension in _RAW_FORMATS:
        dot.write(to_file, format="raw")
        return None
    if extension not in dot.formats:
        raise ValueError(f"plot_model: graphviz cannot write {extension!r} files; use one of "
                         f"{sorted(dot.formats)}. Received: to_file={to_file!r}")
    _check_graphviz()
    dot.write(to_file, format=extension)
    if extension in _IMAGE_FORMATS:
        try:
            from IPython import display  # optional: shows the image in a notebook
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None


_PLOT_INSTALL = ("plot_history needs matplotlib: pip install 'openkeras[plot]' "
                 "(or: pip install matplotlib)")


def plot_history(history, path: str = "history.png", *, metrics=None, dpi: int = 100):
    """Draw the loss and metric curves of a training run into ``path``, side by side.

    One panel per quantity ('loss' first, then the metrics in the order of the logs), each with
    the training curve and, when there is one, the validation curve ('val_<name>'), against
    the epoch (1-based, as the progress bar counts). The format follows the extension of
    ``path`` ('.png', '.svg', '.pdf', ...); nothing needs a display.

    Args:
        history: the ``History`` that ``fit`` returns, or its ``history`` dict.
        path: the file to write.
        metrics: names to draw (default: every training key).
        dpi: resolution of raster formats.

    Returns:
        The matplotlib ``Figure``.
    """
    try:
        from matplotlib.figure import Figure  # no pyplot: no global state, no display
    except ImportError as e:
        raise ImportError(_PLOT_INSTALL) from e
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError(f"plot_history: expected a History (or its `history` dict) with at "
                         f"least one logged value. Received: {history!r}")
    names = list(metrics) if metrics is not None else sorted(
        (k for k in logs if not k.startswith("val_")), key=lambda k: (k != "loss", ))
    unknown = [n for n in names if n not in logs]
    if unknown or not names:
        raise ValueError(f"plot_history: no logged values named {unknown or names}; the history "
                         f"holds {sorted(logs)}.")
    figure = Figure(figsize=(4.5 * len(names), 3.5), dpi=dpi)
    for i, name in enumerate(names):
        axes = figure.add_subplot(1, len(names), i + 1)
        for key, label in ((name, "training"), ("val_" + name, "validation")):
            if key in logs:
                values = [float(v) for v in logs[key]]
                axes.plot(range(1, len(values) + 1), values, marker="o", label=label)
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.legend()
    figure.tight_layout()
    figure.savefig(os.fspath(path))
    return figure



def add_edge(dot, src, dst):
    """Add an edge ``src -> dst`` to a pydot graph unless it is there (Keras 2.2.4 helper)."""
    _add_edge(_pydot(), dot, src, dst)


def is_model(layer):
    """Whether ``layer`` is a model (a functional or Sequential model)."""
    return isinstance(layer, Model)


def is_wrapped_model(layer):
    """Whether ``layer`` is a Wrapper (TimeDistributed, Bidirectional) around a model."""
    return isinstance(layer, Wrapper) and is_model(layer.layer)

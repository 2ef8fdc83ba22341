import shutil
import sys

import pydot  # noqa: E402,F401  (a dev dependency)
import pytest
import torch

from openkeras.engine.input_layer import Input  # noqa: E402
from openkeras.engine.sequential import Sequential  # noqa: E402
from openkeras.engine.training import Model  # noqa: E402
from openkeras.layers.core import Dense  # noqa: E402
from openkeras.layers.merge import concatenate  # noqa: E402
from openkeras.layers.wrappers import TimeDistributed  # noqa: E402
from openkeras.utils import vis_utils  # noqa: E402
from openkeras.utils.vis_utils import model_to_dot, plot_model  # noqa: E402


def _two_input_model():
    a, b = Input((4,), name="a"), Input((3,), name="b")
    h = Dense(8, name="h")(a)
    out = Dense(1, name="out")(concatenate([h, b], name="cat"))
    return Model([a, b], out, name="two")


def _label(dot, layer):
    (node,) = dot.get_node(str(id(layer)))
    return node.get("label").strip('"')


def _edges(dot):
    return {(e.get_source(), e.get_destination()) for e in dot.get_edges()}


def test_model_to_dot_nodes_and_edges():
    model = _two_input_model()
    dot = model_to_dot(model)
    assert isinstance(dot, pydot.Dot)
    assert dot.get("rankdir") == "TB" and dot.get("dpi") == 96
    layers = {layer.name: str(id(layer)) for layer in model.layers}
    assert {n.get_name() for n in dot.get_nodes() if n.get_name() != "node"} == set(
        layers.values())
    assert _label(dot, model.get_layer("h")) == "h: Dense"
    assert _label(dot, model.get_layer("cat")) == "cat: Concatenate"
    assert _edges(dot) == {(layers["a"], layers["h"]), (layers["h"], layers["cat"]),
                           (layers["b"], layers["cat"]), (layers["cat"], layers["out"])}
    plain = model_to_dot(model, show_layer_names=False, rankdir="LR")
    assert plain.get("rankdir") == "LR" and _label(plain, model.get_layer("h")) == "Dense"


def test_model_to_dot_show_shapes():
    model = _two_input_model()
    dot = model_to_dot(model, show_shapes=True)
    assert _label(dot, model.get_layer("h")) == (
        "h: Dense\n|{input:|output:}|{{(None, 4)}|{(None, 8)}}")
    assert _label(dot, model.get_layer("cat")) == (
        "cat: Concatenate\n|{input:|output:}|{{[(None, 8), (None, 3)]}|{(None, 11)}}")
    assert "{{(None, 3)}|{(None, 3)}}" in _label(dot, model.get_layer("b"))


def test_sequential_includes_its_input_layer():
    model = Sequential([Dense(2, input_shape=(5,), name="d1"), Dense(1, name="d2")])
    dot = model_to_dot(model)
    labels = sorted(n.get("label").strip('"') for n in dot.get_nodes() if n.get("label"))
    assert labels == ["d1: Dense", "d1_input: InputLayer", "d2: Dense"]
    assert len(dot.get_edges()) == 2
    with pytest.raises(ValueError, match="not yet been built"):
        model_to_dot(Sequential([Dense(1)]))


def test_wrapper_labels_and_nested_models():
    inner = Sequential([Dense(2, input_shape=(4,), name="i1")], name="inner")
    x = Input((4,), name="x")
    z = Dense(1, name="z")(inner(x))
    outer = Model(x, z, name="outer")
    flat = model_to_dot(outer)
    assert _label(flat, inner) == "inner: Sequential"
    assert (str(id(inner)), str(id(outer.get_layer("z")))) in _edges(flat)

    nested = model_to_dot(outer, expand_nested=True)
    (cluster,) = nested.get_subgraphs()
    assert cluster.get_name() == "cluster_inner" and cluster.get("style") == "dashed"
    first, last = (str(id(layer)) for layer in inner._layer_list)
    assert {(str(id(outer.get_layer("x"))), first), (last, str(id(outer.get_layer("z"))))} \
        <= _edges(nested)
    assert not nested.get_node(str(id(inner)))

    seq = Input((3, 4), name="seq")
    td = TimeDistributed(Dense(2, name="inside"), name="td")
    wrapped = model_to_dot(Model(seq, td(seq)))
    assert _label(wrapped, td) == "td(inside): TimeDistributed(Dense)"


def test_plot_model_writes_dot_source_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(vis_utils.shutil, "which", lambda name: None)
    path = tmp_path / "model.dot"
    assert plot_model(_two_input_model(), to_file=str(path), show_shapes=True) is None
    text = path.read_text()
    assert text.startswith("digraph G {") and "rankdir=TB;" in text
    assert "h: Dense" in text and "(None, 11)" in text
    assert text.count(" -> ") == 4
    with pytest.raises(OSError, match="install graphviz"):
        plot_model(_two_input_model(), to_file=str(tmp_path / "model.png"))


def test_plot_model_writes_a_png(tmp_path):
    path = tmp_path / "model.png"
    if shutil.which("dot") is None:  # `make test` installs graphviz; elsewhere: the clear error
        with pytest.raises(OSError, match="install graphviz"):
            plot_model(_two_input_model(), to_file=path)
        return
    plot_model(_two_input_model(), to_file=path, show_shapes=True, dpi=48)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 1000
    svg = tmp_path / "model.svg"
    plot_model(_two_input_model(), to_file=str(svg), rankdir="LR")
    assert "<svg" in svg.read_text()
    with pytest.raises(ValueError, match="cannot write 'txt' files"):
        plot_model(_two_input_model(), to_file=str(tmp_path / "model.txt"))


def _graphviz():
    # `make` installs graphviz (as root); CI runs through it, so these tests run there.
    assert shutil.which("dot"), "graphviz's `dot` is needed: apt-get install graphviz"


def _png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_plot_model_png_dpi_scales_the_image(tmp_path):
    _graphviz()
    plot_model(_two_input_model(), to_file=tmp_path / "a.png", dpi=48)
    plot_model(_two_input_model(), to_file=tmp_path / "b.png", dpi=96)
    small, large = _png_size((tmp_path / "a.png").read_bytes()), _png_size(
        (tmp_path / "b.png").read_bytes())
    assert large[0] == pytest.approx(2 * small[0], rel=0.1)
    assert large[1] == pytest.approx(2 * small[1], rel=0.1)


def test_plot_model_svg_has_the_labels_and_options(tmp_path):
    _graphviz()
    model = _two_input_model()
    plot_model(model, to_file=tmp_path / "m.svg", show_shapes=True, rankdir="LR")
    svg = (tmp_path / "m.svg").read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for text in ("h: Dense", "cat: Concatenate", "(None, 11)", "input:", "output:"):
        assert text in svg, text
    plot_model(model, to_file=tmp_path / "plain.svg", show_layer_names=False)
    plain = (tmp_path / "plain.svg").read_text()
    assert ">Dense<" in plain and "h: Dense" not in plain and "(None, 11)" not in plain


def test_plot_model_pdf(tmp_path):
    _graphviz()
    plot_model(_two_input_model(), to_file=str(tmp_path / "m.pdf"), expand_nested=True)
    data = (tmp_path / "m.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")


def test_plot_history_panels_side_by_side(tmp_path):
    history = {"loss": [1.0, 0.5, 0.25], "accuracy": [0.5, 0.7, 0.9],
               "val_loss": [1.1, 0.6, 0.4], "val_accuracy": [0.4, 0.6, 0.8]}
    figure = vis_utils.plot_history(history, tmp_path / "h.png")
    assert _png_size((tmp_path / "h.png").read_bytes())[0] > 0
    loss_axes, acc_axes = figure.axes
    assert loss_axes.get_title() == "loss" and acc_axes.get_title() == "accuracy"
    assert loss_axes.get_position().x1 <= acc_axes.get_position().x0  # side by side
    for axes, name in ((loss_axes, "loss"), (acc_axes, "accuracy")):
        train, val = axes.get_lines()
        assert (train.get_label(), val.get_label()) == ("training", "validation")
        assert list(train.get_xdata()) == [1, 2, 3]
        assert list(train.get_ydata()) == history[name]
        assert list(val.get_ydata()) == history["val_" + name]


def test_plot_history_of_a_fit_and_formats(tmp_path):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse", metrics=["mae"])
    x = torch.rand(8, 2).numpy()
    history = model.fit(x, x[:, :1], epochs=2, verbose=0)
    from openkeras.utils import plot_history

    figure = plot_history(history, str(tmp_path / "h.svg"))
    assert [a.get_title() for a in figure.axes] == ["loss", "mae"]
    assert [len(a.get_lines()) for a in figure.axes] == [1, 1]  # no validation data
    assert "<svg" in (tmp_path / "h.svg").read_text()
    plot_history(history, tmp_path / "h.pdf", metrics=["mae"])
    assert (tmp_path / "h.pdf").read_bytes().startswith(b"%PDF-")
    with pytest.raises(ValueError, match=r"no logged values named \['acc'\]"):
        plot_history(history, tmp_path / "x.png", metrics=["acc"])


def test_plot_history_without_matplotlib_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install 'openkeras\[plot\]'"):
        vis_utils.plot_history({"loss": [1.0]}, tmp_path / "h.png")


def test_missing_pydot_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"pip install pydot.*install graphviz"):
        model_to_dot(_two_input_model())


def test_subclassed_model_is_one_node():
    class Net(Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    net = Net()
    net(torch.zeros(1, 3))
    dot = model_to_dot(net)
    (node,) = [n for n in dot.get_nodes() if n.get_name() == str(id(net))]
    assert node.get("label") == "net"


def test_expand_nested_model_inside_a_wrapper():
    inner = Sequential([Dense(2, input_shape=(4,), name="i1")], name="inner")
    seq = Input((3, 4), name="seq")
    td = TimeDistributed(inner, name="td")
    after = Dense(1, name="after")
    model = Model(seq, after(td(seq)))
    assert _label(model_to_dot(model), td) == "td(inner): TimeDistributed(Sequential)"
    dot = model_to_dot(model, expand_nested=True)
    assert _label(dot, td) == "td: TimeDistributed"
    first, last = (str(id(layer)) for layer in inner._layer_list)
    assert _edges(dot) == {(str(id(model.get_layer("seq"))), str(id(td))),
                           (str(id(td)), first), (last, str(id(after)))}

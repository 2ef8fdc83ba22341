"""The one golden-case check: a layer or model against arrays written by real Keras (tests/fixtures).

A case holds inputs ``x0, x1, ...``, weights ``w0, ...`` (``get_weights()`` order), outputs
``y0, ...`` and, for the layer families of tests/fixtures/layers, the JSON entry (config,
shapes, weight names, call arguments; see tests/fixtures/README.md). ``check_golden_case``
builds the target, sets the weights, runs it and compares every output within the
tolerances the caller states.
"""

import json
from pathlib import Path

import numpy as np
import torch

from openkeras.engine.functional import Functional
from openkeras.engine.input_layer import Input
from openkeras.engine.keras_tensor import flatten

FIXTURES = Path(__file__).resolve().parent / "fixtures"


class GoldenCase:
    """One case: ``name``, ``entry`` (its JSON entry, or {}) and ``arrays`` (npz keys, unprefixed)."""

    def __init__(self, name, arrays, entry=None):
        self.name, self.arrays, self.entry = name, dict(arrays), entry or {}

    def __repr__(self):
        return self.name

    def numbered(self, prefix):
        """[arrays[prefix0], arrays[prefix1], ...] while they exist."""
        found = []
        while f"{prefix}{len(found)}" in self.arrays:
            found.append(self.arrays[f"{prefix}{len(found)}"])
        return found

    @property
    def inputs(self):
        return self.numbered("x")

    @property
    def weights(self):
        return self.numbered("w")

    @property
    def outputs(self):
        return self.numbered("y")

    def call_kwargs(self):
        """The recorded call arguments, arrays as torch tensors."""
        def value(v):
            if isinstance(v, str) and v.startswith(self.name + "__"):
                return torch.as_tensor(self.arrays[v[len(self.name) + 2:]])
            return v

        return {k: [value(x) for x in v] if isinstance(v, list) else value(v)
                for k, v in self.entry.get("call_kwargs", {}).items()}


def layer_cases(family):
    """{case name: GoldenCase} of tests/fixtures/layers/<family>.json and .npz."""
    entries = json.loads((FIXTURES / "layers" / f"{family}.json").read_text())
    with np.load(FIXTURES / "layers" / f"{family}.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    cases = {}
    for entry in entries:
        prefix = entry["case"] + "__"
        cases[entry["case"]] = GoldenCase(
            entry["case"], {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)},
            entry)
    return cases


def model_case(relative_path):
    """The GoldenCase of one model's .npz under tests/fixtures (e.g. "h5/cnn.npz")."""
    path = FIXTURES / relative_path
    with np.load(path) as npz:
        return GoldenCase(path.stem, {k: npz[k] for k in npz.files})


def strip_module(value):
    """Drop the keys Keras >= 2.13 adds to nested configs: module, registered_name, build_config."""
    if isinstance(value, dict):
        return {k: strip_module(v) for k, v in value.items()
                if k not in ("module", "registered_name", "build_config")}
    if isinstance(value, list):
        return [strip_module(v) for v in value]
    return value


def _numpy(outputs):
    return [o.detach().cpu().numpy() if torch.is_tensor(o) else np.asarray(o) for o in flatten(outputs)]


def _default_call(target, case, inputs, kwargs):
    xs = [torch.as_tensor(x) for x in inputs]
    if "training" in case.entry and not isinstance(target, Functional):
        kwargs = dict(kwargs, training=case.entry["training"])
    if case.entry.get("unpack"):
        return target(*xs, **kwargs)
    return target(xs if len(xs) > 1 else xs[0], **kwargs)


def _check_config(layer, case, ignore):
    want = strip_module(case.entry["config"])
    got = json.loads(json.dumps(layer.get_config()))
    assert set(got) == set(want), f"{case}: config keys {sorted(got)}, Keras wrote {sorted(want)}"
    for key, value in want.items():
        if key not in ignore:
            assert got[key] == value, f"{case}: config[{key!r}] = {got[key]!r}, Keras wrote {value!r}"


def _check_weight_names(layer, case):
    got, want = [w.name for w in layer.weights], case.entry["weight_names"]
    assert got == want, f"{case}: weight names {got}, Keras wrote {want}"


def check_golden_case(target, case, *, rtol, atol, build=True, weights=None, inputs=None,
                      call_kwargs=None, call=None, config_ignore=None, weight_names=False):
    """Build ``target``, give it the case's weights, run it and compare with the case's outputs.

    Args:
        target: a layer or a model.
        case: a GoldenCase.
        rtol, atol: the tolerances of every output comparison.
        build: "symbolic" (or True): call ``target`` on Inputs first and compare the output
            shapes with the entry's ``output_shape``; "eager": call it once on the inputs
            (layers whose call takes more than the inputs); False: a model or a built layer.
        weights: the weights to set (default: the case's; ``False``: keep the target's).
        inputs, call_kwargs: replace the case's inputs / recorded call arguments.
        call: ``call(target, inputs)`` instead of calling ``target`` the recorded way.
        config_ignore: when given, compare ``get_config()`` with the entry's config: the
            same keys and the same values, except the keys in ``config_ignore``.
        weight_names: compare the weight names with the entry's.

    Also compares: the weight counts of the entry (when the case's own inputs and weights
    are used), a layer's output masks (``ymask<i>``) or their absence, and the weights after
    the call (``w_after<i>``). Returns the outputs as numpy arrays.
    """
    # The entry's shapes and weight counts describe the case's own inputs and weights.
    own = inputs is None and weights is None
    inputs = case.inputs if inputs is None else inputs
    kwargs = case.call_kwargs() if call_kwargs is None else call_kwargs
    is_layer = not isinstance(target, Functional)
    counts = own and is_layer and "n_weights" in case.entry
    if build == "eager":
        with torch.no_grad():
            _default_call(target, case, inputs, kwargs)
    elif build:
        symbolic = flatten(target([Input(batch_shape=(None,) + x.shape[1:], dtype=str(x.dtype))
                                   for x in inputs] if len(inputs) > 1 else
                                  Input(batch_shape=(None,) + inputs[0].shape[1:],
                                        dtype=str(inputs[0].dtype))))
        if own and "output_shape" in case.entry:
            got = [list(t.shape[1:]) for t in symbolic]
            want = [list(s[1:]) for s in case.entry["output_shape"]]
            assert got == want, f"{case}: output shapes {got}, Keras gave {want}"
    values = case.weights if weights is None else weights
    if values is not False:
        if counts:
            assert len(values) == case.entry["n_weights"], f"{case}: {len(values)} weights in the file"
        target.set_weights(values)
        shapes = [tuple(w.shape) for w in target.get_weights()]
        assert shapes == [tuple(np.shape(v)) for v in values], f"{case}: weight shapes {shapes}"
    if counts:
        assert len(target.weights) == case.entry["n_weights"], f"{case}: {len(target.weights)} weights"
        assert len(target.trainable_weights) == case.entry["n_trainable_weights"], (
            f"{case}: {len(target.trainable_weights)} trainable weights")
    if weight_names:
        _check_weight_names(target, case)
    if config_ignore is not None:
        _check_config(target, case, set(config_ignore))

    with torch.no_grad():
        outputs = call(target, inputs) if call else _default_call(target, case, inputs, kwargs)
    got = _numpy(outputs)
    want = case.outputs
    assert len(got) == len(want), f"{case}: {len(got)} outputs, Keras gave {len(want)}"
    for i, (a, b) in enumerate(zip(got, want, strict=True)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{case}: output {i}")
    after = case.numbered("w_after")
    if after:
        for i, (a, b) in enumerate(zip(target.get_weights(), after, strict=True)):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{case}: weight {i} after")
    if is_layer and call is None:
        xs = [torch.as_tensor(x) for x in inputs]
        masks = flatten(target.compute_mask(xs if len(xs) > 1 else xs[0], kwargs.get("mask")))
        want_masks = case.numbered("ymask")
        if want_masks:
            for i, (m, w) in enumerate(zip(masks, want_masks, strict=False)):
                assert m is not None, f"{case}: no mask on output {i}"
                np.testing.assert_array_equal(m.cpu().numpy(), w, err_msg=f"{case}: mask {i}")
        else:
            assert all(m is None for m in masks), f"{case}: a mask Keras did not give"
    return got

"""The package has a bottom: imports flow one way down the layers in ``LAYERS``.

Checked here, from the source (ast) and by importing:
- no module-level import points up the layering, and module-level imports form no cycle
  (importing ``a.b.c`` from outside ``a.b`` also runs ``a/b/__init__.py``: that counts);
- imports inside functions are few (``MAX_FUNCTION_IMPORTS``), each with a one-line reason;
- every module imports alone in a fresh interpreter, and all of them in two orders;
- ``python -X importtime -c "import openkeras"`` never imports a module from inside a module
  of a lower layer.

Run it alone with ``pytest tests/test_architecture.py``. A new module needs a rank here (by its
own name or its sub-package's); a module that must import upward belongs in a higher layer.
"""

import os
import tempfile
import textwrap

from architecture_checks import (
    find_modules,
    importtime_violations,
    start_imports,
    third_party_imports,
    violations,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "openkeras"

# Each module or sub-package of openkeras (relative names; "x.__init__" is the package x's own
# file) -> its layer. A module takes the rank of its longest listed prefix, and may import only
# modules of its own layer or lower ones. A package's __init__ runs whenever any of its modules
# is imported, so it has the rank of its lowest module and reaches higher ones lazily (a module
# ``__getattr__``, see openkeras/engine/lazy_exports.py).
LAYERS = {
    # 0: configuration and helpers that know only torch / numpy / h5py.
    "config": 0,
    "version": 0,
    "utils": 0,  # generic_utils, conv_utils, np_utils, io_utils, h5dict, progbar, data_utils...
    "engine.__init__": 0,  # Keras 2's names, all lazy
    "engine.arrays": 0,
    "engine.aliases": 0,  # the one table of Keras 1 / tf.keras renames (imports nothing)
    "engine.registry": 0,  # the one serialization registry and allow-list (imports aliases only)
    "engine.file_formats": 0,  # the table of file formats saving fills (imports nothing)
    "engine.resume": 0,  # random-generator state of a resumed run (torch / numpy only)
    "engine.lazy_exports": 0,
    "engine.keras2_names": 0,  # strings only
    "engine.internal": 0,
    "engine.weights": 0,
    "engine.weight_budget": 0,
    "legacy": 0,  # legacy.interfaces: Keras 1 argument converters
    "metrics.names": 0,
    "mixed_precision": 0,  # dtype policies (the Layer reads them); torch and config only
    # 1: what weights are made with: Layer.add_weight takes their names (as in Keras 2, they sit
    # below the Layer).
    "initializers": 1,
    "regularizers": 1,
    "constraints": 1,
    # 2: engine core: symbolic tensors, nodes, Layer and its weights, naming, graph ops.
    "engine": 2,
    # 3: the functions and objects layers and models are configured with.
    "activations": 3,
    "losses": 3,
    "objectives": 3,
    "metrics": 3,
    "optimizers": 3,
    "mixed_precision.loss_scale_optimizer": 3,
    "utils.losses_utils": 3,
    "utils.metrics_utils": 3,
    # 4: K, the Keras backend API. It sits above activations and losses because K.relu,
    # K.categorical_crossentropy... are those functions, and below layers, which may use K
    # (Lambda layers evaluate user code written with K). K.function runs a graph plan; that
    # plan has to come from the engine core, not from Functional (a model, layer 6).
    "backend": 4,
    # 5: layers.
    "layers": 5,
    "legacy.layers": 5,  # re-exports layers.keras1
    # 6: models and their training.
    "engine.functional": 6,
    "engine.functional_config": 6,
    "engine.functional_losses": 6,
    "engine.sequential": 6,
    "engine.network": 6,
    "engine.topology": 6,
    "engine.training": 6,
    "engine.training_arrays": 6,
    "engine.training_batch": 6,
    "engine.training_callbacks": 6,
    "engine.training_compile": 6,
    "engine.training_loop": 6,
    "engine.data_handler": 6,
    "engine.data_spec": 6,
    "engine.training_generator": 6,
    "engine.training_legacy": 6,
    "engine.training_utils": 6,
    "engine.train_step": 6,
    "engine.compiled_step": 6,
    "engine.compile_utils": 6,
    "engine.data_adapter": 6,
    "engine.hdf5_adapter": 6,
    "engine.distributed": 6,
    "engine.distributed_data": 6,
    "callbacks": 6,  # the package and callbacks.base (what fit calls); the callbacks are 8
    "callbacks.batch_hooks": 6,
    "utils.layer_utils": 6,  # model.summary()
    # 7: saving.
    "saving": 7,
    "models": 7,
    "engine.saving": 7,
    # 8: callbacks and the utils that take a model.
    "callbacks.backup_and_restore": 8,
    "callbacks.callbacks": 8,
    "callbacks.csv_logger": 8,
    "callbacks.early_stopping": 8,
    "callbacks.lambda_callback": 8,
    "callbacks.lr_callbacks": 8,
    "callbacks.model_checkpoint": 8,
    "callbacks.monitor": 8,
    "callbacks.remote_monitor": 8,
    "callbacks.tensorboard": 8,
    "callbacks.tensorboard_v1": 8,
    "callbacks.tensorboard_v2": 8,
    "utils.multi_gpu_utils": 8,
    "utils.training_utils": 8,
    "utils.vis_utils": 8,
    "utils.test_utils": 8,
    # 9: what users build with all of it.
    "applications": 9,
    "wrappers": 9,
    "datasets": 9,
    "preprocessing": 9,
    "compat": 9,
    "export": 9,
    "legacy.models": 9,
    "cli": 9,
    "__main__": 9,
    "demo": 9,
    # 10: the public surface.
    "__init__": 10,
}

# Imports inside functions: only for an optional dependency or start-up time.
MAX_FUNCTION_IMPORTS = 15

# Modules that run something when imported, so they are not imported by the test.
NOT_IMPORTED = {"openkeras.__main__": "runs the command line"}

# Known violations, in files other work in progress is changing (issue 12: the registry, the
# symbolic backend, saving, training). Each line is "up module target", "cycle module next" or
# "function module | statement" (an import inside a function, without a reason). The test
# fails when one is fixed and still listed, so this list only shrinks; it must end empty.
PENDING_TEXT = """
"""  # noqa: E501  (statements as written in their files)
PENDING = {("function", *line[len("function "):].split(" | ")) if line.startswith("function ")
           else tuple(line.split()) for line in PENDING_TEXT.strip().splitlines()}


# ----------------------------------------------------------------------------- the tests
def test_imports_flow_down_the_layers_without_cycles():
    found, _, _ = violations(ROOT, PACKAGE, LAYERS)
    new = {k: v for k, v in found.items() if k not in PENDING}
    fixed = sorted(k for k in PENDING if k not in found)
    assert not new, "imports against the layering:\n" + "\n".join(sorted(new.values()))
    assert not fixed, f"fixed, remove them from PENDING: {fixed}"


def test_few_imports_inside_functions():
    _, in_functions, _ = violations(ROOT, PACKAGE, LAYERS)
    counted = [f"{m}:{line} {s}" for m, line, s, _ in in_functions if ("function", m, s) not in PENDING]
    assert len(counted) <= MAX_FUNCTION_IMPORTS, (
        f"{len(counted)} imports inside functions (at most {MAX_FUNCTION_IMPORTS}, each for an "
        "optional dependency or start-up time):\n" + "\n".join(counted))


def test_every_module_imports_alone_and_in_both_orders_and_import_order_follows_the_layers():
    modules = find_modules(ROOT, PACKAGE)
    names = sorted(m for m in modules if m not in NOT_IMPORTED)
    third_party = third_party_imports(modules)
    with tempfile.TemporaryDirectory() as pycache:
        runs = {mode: start_imports(ROOT, PACKAGE, order, mode, third_party, mode == "forward", pycache)
                for mode, order in (("forward", names), ("alone", names), ("reverse", names[::-1]))}
        results = {mode: run.communicate(timeout=300) for mode, run in runs.items()}
    for mode, (out, err) in results.items():
        assert runs[mode].returncode == 0, f"importing {mode} crashed:\n{err[-3000:]}"
        assert not out, f"modules that fail to import ({mode}):\n{out}"
    upward = [f"{module} (layer {high}) was imported from inside {importer} (layer {low})"
              for importer, module, low, high in importtime_violations(results["forward"][1], LAYERS)
              if ("up", importer, module) not in PENDING]
    assert not upward, "python -X importtime -c 'import openkeras':\n" + "\n".join(upward)


# ----------------------------------------------------------------------------- the checks can fail
def _write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_checker_reports_upward_imports_cycles_and_unexplained_function_imports(tmp_path):
    _write(tmp_path, {
        "pkgx/__init__.py": "",
        "pkgx/low.py": "from pkgx import high\n",  # up, and a cycle with high
        "pkgx/high.py": "import pkgx.low\n",
        "pkgx/mid.py": """\
            from pkgx.sub import leaf  # runs pkgx/sub/__init__.py, which is higher


            def f():
                import json
                return json


            def g():
                # the reason
                import pkgx.high
                return pkgx.high
            """,
        "pkgx/sub/__init__.py": "from pkgx import top\n",
        "pkgx/sub/leaf.py": "",
        "pkgx/top.py": "",
        "pkgx/stray.py": "",
    })
    layers = {"__init__": 9, "low": 0, "mid": 0, "high": 1, "sub": 2, "sub.leaf": 0, "top": 3}
    found, in_functions, _ = violations(str(tmp_path), "pkgx", layers)
    assert set(found) == {
        ("up", "pkgx.low", "pkgx.high"),
        ("up", "pkgx.mid", "pkgx.sub"),
        ("up", "pkgx.sub", "pkgx.top"),
        ("cycle", "pkgx.high", "pkgx.low"),
        ("function", "pkgx.mid", "import json"),
        ("unranked", "pkgx.stray"),
    }, found
    assert found[("cycle", "pkgx.high", "pkgx.low")] == "import cycle: pkgx.high -> pkgx.low -> pkgx.high"
    assert [(m, s, r) for m, _, s, r in in_functions] == [
        ("pkgx.mid", "import json", False), ("pkgx.mid", "import pkgx.high", True)]


def test_import_checks_report_order_dependent_modules_and_upward_import_order(tmp_path):
    # a needs b first (b defines X before importing a): a fails alone and in sorted order.
    _write(tmp_path, {
        "pkgy/__init__.py": "",
        "pkgy/a.py": "from pkgy.b import X\nY = 2\n",
        "pkgy/b.py": "X = 1\nfrom pkgy.a import Y\n",
    })
    names = ["pkgy", "pkgy.a", "pkgy.b"]
    runs = {mode: start_imports(str(tmp_path), "pkgy", order, mode, importtime=mode == "forward")
            for mode, order in (("alone", names), ("forward", names), ("reverse", names[::-1]))}
    out = {mode: run.communicate(timeout=60) for mode, run in runs.items()}
    assert out["alone"][0].splitlines()[0].startswith("pkgy.a: ImportError"), out["alone"]
    assert len(out["alone"][0].splitlines()) == 1
    assert out["forward"][0].startswith("pkgy.a: ImportError"), out["forward"]
    assert out["reverse"][0] == "", out["reverse"]


def test_importtime_check_reports_a_module_imported_from_inside_a_lower_one(tmp_path):
    _write(tmp_path, {"pkgz/__init__.py": "", "pkgz/a.py": "import pkgz.sub.b\n",
                      "pkgz/sub/__init__.py": "", "pkgz/sub/b.py": "import pkgz.c\n", "pkgz/c.py": ""})
    run = start_imports(str(tmp_path), "pkgz", ["pkgz", "pkgz.a"], "forward", importtime=True)
    out, err = run.communicate(timeout=60)
    assert out == "" and run.returncode == 0, err
    layers = {"__init__": 9, "a": 0, "sub": 1, "c": 0}
    assert importtime_violations(err, layers, "pkgz") == [
        ("pkgz.a", "pkgz.sub", 0, 1), ("pkgz.a", "pkgz.sub.b", 0, 1)]
    assert importtime_violations(err, {**layers, "a": 1}, "pkgz") == []

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

import ast
import collections
import io
import os
import tokenize

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
    "engine.allow_list": 0,
    "engine.lazy_exports": 0,
    "engine.keras2_names": 0,  # strings only
    "engine.internal": 0,
    "engine.weights": 0,
    "engine.weight_budget": 0,
    "legacy": 0,  # legacy.interfaces: Keras 1 argument converters
    "metrics.names": 0,
    # 1: what weights are made with: Layer.add_weight takes their names (as in Keras 2, they sit
    # below the Layer).
    "initializers": 1,
    "regularizers": 1,
    "constraints": 1,
    # 2: engine core: symbolic tensors, nodes, Layer and its weights, naming, graph ops.
    "engine": 2,
    "backend.symbolic": 2,  # how K / activations / losses functions record graph nodes
    # 3: the functions and objects layers and models are configured with.
    "activations": 3,
    "losses": 3,
    "objectives": 3,
    "metrics": 3,
    "optimizers": 3,
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
    "engine.training_data": 6,
    "engine.training_generator": 6,
    "engine.training_legacy": 6,
    "engine.training_utils": 6,
    "engine.train_step": 6,
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

# Known violations in files of other work in progress, each (module, imported module) for an
# upward or cyclic module-level import, or (module, import statement) for an import inside a
# function. The test fails when one of them is fixed and still listed, so this only shrinks.
PENDING = set()


# ----------------------------------------------------------------------------- the checker
def find_modules(root, package):
    """``{dotted module name: path}`` for every .py file of ``package`` under ``root``."""
    modules = {}
    for folder, _, files in os.walk(os.path.join(root, package)):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                dotted = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
                modules[dotted.removesuffix(".__init__")] = path
    return modules


def _is_type_checking(node):
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _targets(module, node, is_package, modules):
    """The modules of ``modules`` an import statement in ``module`` imports."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
    found = []
    for name in names:
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in modules and name not in found:
            found.append(name)
    return found


def _reason_lines(source):
    """Line numbers that carry a comment other than ``# noqa``, and the standalone ones."""
    commented, standalone = set(), set()
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and not tok.string.lstrip("# ").startswith("noqa"):
            commented.add(tok.start[0])
            if not tok.line[: tok.start[1]].strip():
                standalone.add(tok.start[0])
    return commented, standalone


def parse_imports(modules):
    """Module-level edges ``{module: [(line, target)]}`` and function-level imports.

    Importing ``a.b.c`` from a module outside ``a.b`` also runs ``a.b``'s and ``a``'s
    ``__init__``; those edges are added (a module's own packages are already running).
    Function-level imports are ``(module, line, statement, has_reason)``.
    """
    edges, in_functions = {}, []
    for module, path in modules.items():
        with open(path, encoding="utf-8") as f:
            source = f.read()
        is_package = path.endswith("__init__.py")
        commented, standalone = _reason_lines(source)
        own = module.split(".")
        own_packages = {".".join(own[:i]) for i in range(1, len(own) + 1)}
        found = edges.setdefault(module, [])

        def visit(node, in_function, module=module, is_package=is_package, found=found,
                  own_packages=own_packages, commented=commented, standalone=standalone):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    targets = _targets(module, child, is_package, modules)
                    if in_function:  # openkeras or not: a stdlib import belongs at the top
                        lines = range(child.lineno, child.end_lineno + 1)
                        reason = any(n in commented for n in lines) or (child.lineno - 1) in standalone
                        in_functions.append((module, child.lineno, ast.unparse(child), reason))
                    else:
                        for target in targets:
                            parts = target.split(".")
                            for i in range(1, len(parts) + 1):
                                name = ".".join(parts[:i])
                                if name in modules and name not in own_packages:
                                    found.append((child.lineno, name))
                if _is_type_checking(child):
                    continue
                visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                               ast.Lambda)))

        visit(ast.parse(source, path), False)
    return edges, in_functions


def rank(module, layers, package=PACKAGE):
    """The rank of ``module``'s own entry in ``layers`` or of its longest listed prefix."""
    if module == package:
        return layers.get("__init__")
    name = module[len(package) + 1:]
    if f"{name}.__init__" in layers:
        return layers[f"{name}.__init__"]
    while name:
        if name in layers:
            return layers[name]
        name = name.rpartition(".")[0]
    return None


def upward_imports(edges, layers, package=PACKAGE):
    """``(module, line, target, rank, target rank)`` for each import pointing up the layers."""
    found = []
    for module, targets in sorted(edges.items()):
        for line, target in targets:
            low, high = rank(module, layers, package), rank(target, layers, package)
            if low is not None and high is not None and high > low:
                found.append((module, line, target, low, high))
    return found


def find_cycles(edges):
    """One cycle (a list of modules, first == last) per strongly connected group of modules."""
    graph = {m: sorted({t for _, t in targets if t != m}) for m, targets in edges.items()}
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def connect(v):  # Tarjan, iterative: the package is deeper than the recursion limit allows
        work = [(v, iter(graph.get(v, ())))]
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, ()))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    group.add(w)
                    if w == node:
                        break
                if len(group) > 1:
                    groups.append(group)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    cycles = []
    for group in groups:  # the shortest way back to the group's first module
        start = min(group)
        paths, queue = {start: [start]}, collections.deque([start])
        while queue:
            v = queue.popleft()
            for w in graph[v]:
                if w == start:
                    cycles.append(paths[v] + [start])
                    queue.clear()
                    break
                if w in group and w not in paths:
                    paths[w] = paths[v] + [w]
                    queue.append(w)
    return sorted(cycles)


def violations(root, package, layers):
    """Every problem of the package under ``root``, as ``{key: message}``.

    Keys: ``('up', module, target)``, ``('cycle', module, next module)`` for the first edge
    of each cycle, ``('unranked', module)``, ``('function', module, statement)`` for an
    import inside a function without a reason comment.
    """
    modules = find_modules(root, package)
    edges, in_functions = parse_imports(modules)
    found = {}
    for module in sorted(modules):
        if rank(module, layers, package) is None:
            found[("unranked", module)] = f"{module} has no rank in LAYERS"
    for module, line, target, low, high in upward_imports(edges, layers, package):
        found[("up", module, target)] = (
            f"{module}:{line} (layer {low}) imports {target} (layer {high}) at module level")
    for cycle in find_cycles(edges):
        found[("cycle", cycle[0], cycle[1])] = "import cycle: " + " -> ".join(cycle)
    for module, line, statement, has_reason in in_functions:
        if not has_reason:
            found[("function", module, statement)] = (
                f"{module}:{line} `{statement}` inside a function has no reason comment")
    return found, in_functions, modules


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

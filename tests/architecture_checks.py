"""The checks behind tests/test_architecture.py: parse a package's imports, rank them, import it.

Every function takes the package's folder and name, so the tests can also run them on small
packages written for the purpose (and prove the checks fail when they should).
"""

import ast
import collections
import io
import os
import subprocess
import sys
import tokenize


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


def rank(module, layers, package="openkeras"):
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


def upward_imports(edges, layers, package="openkeras"):
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


# ----------------------------------------------------------------------------- importing
# Run as ``python -c IMPORTER root package mode module...``. The third-party modules the
# package imports are loaded once; then each module is imported in a fork of its own ("alone")
# or all of them in the given order. The package's own __init__ is not run first: it is the
# top layer, so a module that needs it must import it (it runs when its turn comes).
IMPORTER = r"""
import importlib, importlib.util, os, sys, traceback
root, package, mode, *names = sys.argv[1:]
third_party, names = names[:names.index("--")], names[names.index("--") + 1:]
for name in third_party:
    try:
        importlib.import_module(name)
    except Exception:
        pass
sys.path.insert(0, root)

def load(name):
    if package not in sys.modules:  # the package's module, its __init__ not run yet
        spec = importlib.util.find_spec(package)
        sys.modules[package] = importlib.util.module_from_spec(spec)
    if name == package:
        module = sys.modules[package]
        module.__spec__.loader.exec_module(module)
    else:
        __import__(name)  # not importlib.import_module: -X importtime logs import statements only

def failure(name):
    return f"{name}: " + traceback.format_exc().strip().splitlines()[-1] + "\n"

failed = []
if mode == "alone":  # a fork per module, a few at a time
    running, queue = {}, list(names)
    while queue or running:
        while queue and len(running) < max(2, os.cpu_count() or 1):
            name = queue.pop(0)
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(read)
                try:
                    load(name)
                    code = 0
                except BaseException:
                    os.write(write, failure(name).encode())
                    code = 1
                os._exit(code)
            os.close(write)
            running[pid] = read
        pid, status = os.wait()
        with os.fdopen(running.pop(pid)) as f:
            message = f.read()
        failed.append(message or (f"{pid}: exited with status {status}\n" if status else ""))
else:
    if mode == "forward":
        __import__(package)  # as users do: ``import openkeras`` first
    for name in names:
        try:
            if name != package or mode != "forward":
                load(name)
        except BaseException:
            failed.append(failure(name))
sys.stdout.write("".join(failed))
"""


def third_party_imports(modules, package="openkeras"):
    """The modules outside the package and the standard library imported at module level."""
    found = set()
    for path in modules.values():
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
        for node in _module_level(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                     if isinstance(node, ast.ImportFrom) and not node.level else [])
            for name in names:
                top = name.split(".")[0]
                if top != package and top not in sys.stdlib_module_names:
                    found.add(name)
    return sorted(found)


def _module_level(node):
    """The statements run when the module is imported (not those in functions or classes)."""
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            yield child
            yield from _module_level(child)


def start_imports(root, package, names, mode, third_party=(), importtime=False, pycache=None):
    """A subprocess importing ``names`` ``mode`` ('alone', 'forward' or 'reverse').

    ``pycache``: a folder for bytecode shared by the runs (the forks would each compile the
    package again when bytecode is not written).
    """
    args = [sys.executable] + (["-X", "importtime"] if importtime else []) + [
        "-c", IMPORTER, root, package, mode, *third_party, "--", *names]
    env = dict(os.environ)
    if pycache:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=root, env=env)


def importtime_violations(stderr, layers, package="openkeras"):
    """``(importer, module, importer's rank, module's rank)`` for each module of the package
    imported from inside a module of a lower layer (``stderr`` of ``python -X importtime``)."""
    entries = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            field = line.split("|")[2]
            name = field.strip()
            if name != "imported package":
                entries.append(((len(field) - len(field.lstrip()) - 1) // 2, name))
    found = []
    for i, (level, name) in enumerate(entries):
        if not name.startswith(package + "."):
            continue
        # The importer encloses the line; a package's __init__ shows inside the import of its
        # first submodule, so enclosing submodules of ``name`` are passed over.
        parent, want = None, level - 1
        for lv, n in entries[i + 1:]:
            if lv == want:
                if not n.startswith(name + "."):
                    parent = n
                    break
                want -= 1
            elif lv < want:
                break
        if parent is None or not parent.startswith(package + ".") and parent != package:
            continue
        low, high = rank(parent, layers, package), rank(name, layers, package)
        if low is not None and high is not None and high > low:
            found.append((parent, name, low, high))
    return found

"""``openkeras check [script.py]``: which Keras APIs openkeras supports.

With a script: the Keras APIs it uses, and which openkeras supports. Without one: every
public module path and name of Keras 2.2.4 and 2.3.1 (``keras2_api.json``, made by
``tools/keras2_api_list.py`` from their sources), and any that openkeras still lacks.

The script is parsed, never run. Every ``import keras...``, ``from keras... import name`` and
attribute chain on a name bound to Keras (``keras.layers.Dense``, ``K.function``) is an API
use; each is resolved through the ``keras`` alias (the way ``openkeras run`` would resolve
it). ``tensorflow.keras`` / ``tf.keras`` uses are reported under their ``keras.*`` name, with a
note: ``openkeras run`` does not alias tensorflow.
"""

import ast
import dataclasses
import importlib
import json
import os

from openkeras.compat.alias import install_keras_alias, is_installed, uninstall_keras_alias

_TF_PREFIXES = ("tensorflow.keras", "tensorflow.python.keras")
_TF_ROOT = "<tensorflow>"


@dataclasses.dataclass
class Use:
    """One Keras API used by a script.

    Args:
        api: its ``keras.*`` path (``'keras.layers.Dense'``).
        lines: the lines that use it.
        via_tf: reached through ``tensorflow.keras`` / ``tf.keras``.
        supported: whether openkeras resolves it (set by ``resolve_uses``).
        detail: why not, when it is not supported.
    """

    api: str
    lines: list
    via_tf: bool = False
    supported: bool = None
    detail: str = ""


def _keras_path(module):
    """``(keras path, via_tf)`` for a module name, or None when it is not Keras."""
    if module == "keras" or module.startswith("keras."):
        return module, False
    for prefix in _TF_PREFIXES:
        if module == prefix or module.startswith(prefix + "."):
            return "keras" + module[len(prefix):], True
    return None


class _Collector(ast.NodeVisitor):
    """Collects API uses; ``bindings`` maps local names to ``(keras path, via_tf)``."""

    def __init__(self):
        self.bindings = {}
        self.uses = {}

    def add(self, api, line, via_tf):
        use = self.uses.setdefault((api, via_tf), Use(api, [], via_tf))
        if line not in use.lines:
            use.lines.append(line)

    def visit_Import(self, node):
        for alias in node.names:
            found = _keras_path(alias.name)
            top = alias.name.split(".")[0]
            if found is None:
                if alias.name == "tensorflow" or (top == "tensorflow" and not alias.asname):
                    self.bindings[alias.asname or top] = (_TF_ROOT, True)
                continue
            self.add(found[0], node.lineno, found[1])
            if alias.asname:
                self.bindings[alias.asname] = found
            elif top == "keras":
                self.bindings["keras"] = ("keras", False)
            else:
                self.bindings["tensorflow"] = (_TF_ROOT, True)

    def visit_ImportFrom(self, node):
        if node.level or not node.module:
            return
        found = _keras_path(node.module)
        if found is None and node.module == "tensorflow":
            found = ("", True)  # `from tensorflow import keras`
        if found is None:
            return
        base, via_tf = found
        for alias in node.names:
            if alias.name == "*":
                self.add(base, node.lineno, via_tf)
                continue
            api = f"{base}.{alias.name}" if base else alias.name
            if base or alias.name == "keras":
                self.add(api, node.lineno, via_tf)
                self.bindings[alias.asname or alias.name] = (api, via_tf)

    def visit_Attribute(self, node):
        chain, root = [], node
        while isinstance(root, ast.Attribute):
            chain.append(root.attr)
            root = root.value
        bound = self.bindings.get(root.id) if isinstance(root, ast.Name) else None
        if bound is None:
            self.generic_visit(node)
            return
        chain.reverse()
        base, via_tf = bound
        if base == _TF_ROOT:
            if chain[0] != "keras":
                return
            base, chain = "keras", chain[1:]
        if chain:
            self.add(".".join([base, *chain]), node.lineno, via_tf)


def collect_uses(source, filename="<script>"):
    """The Keras API uses of a script's source, in order of first use.

    Args:
        source: the Python source text.
        filename: its name, for syntax errors.
    """
    tree = ast.parse(source, filename)
    collector = _Collector()
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    for node in sorted(imports, key=lambda n: (n.lineno, n.col_offset)):
        collector.visit(node)
    collector.visit(tree)  # attribute chains, now that every binding is known
    return sorted(collector.uses.values(), key=lambda u: (u.lines[0], u.api))


def resolve(api):
    """``(supported, detail)``: whether ``keras.x.y`` resolves to something openkeras has.

    Needs the ``keras`` alias installed (``resolve_uses`` does it).
    """
    parts = api.split(".")
    try:
        obj = importlib.import_module(parts[0])
        for part in parts[1:]:
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        return False, str(e)
    except Exception as e:  # an openkeras module that fails to import is a finding too
        return False, f"{type(e).__name__} while resolving {api}: {e}"
    reason = getattr(obj, "_openkeras_unsupported", None)
    if isinstance(reason, str):
        return False, reason
    return True, ""


def resolve_uses(uses):
    """Fill in ``supported`` / ``detail`` of every use (with the alias installed meanwhile)."""
    was_installed = is_installed()
    install_keras_alias()
    try:
        for use in uses:
            use.supported, use.detail = resolve(use.api)
    finally:
        if not was_installed:
            uninstall_keras_alias()
    return uses


def format_report(uses, script):
    """The report's lines: a table of uses, notes, and a summary line."""
    if not uses:
        return [f"{script}: no Keras APIs used."]
    width = max(len(u.api) + (11 if u.via_tf else 0) for u in uses)
    lines = [f"Keras APIs used by {script}:", f"{'Line':>6}  {'API':<{width}}  Status"]
    for u in uses:
        name = u.api + (" (tf.keras)" if u.via_tf else "")
        status = "supported" if u.supported else f"NOT supported: {u.detail}"
        lines.append(f"{u.lines[0]:>6}  {name:<{width}}  {status}")
    bad = sum(not u.supported for u in uses)
    if any(u.via_tf for u in uses):
        lines.append("Note: uses marked (tf.keras) go through tensorflow, which `openkeras run` "
                     "does not alias: write `import keras` / `from keras... import` instead.")
    lines.append(f"{len(uses)} Keras APIs used: {len(uses) - bad} supported, {bad} NOT supported.")
    return lines


def report_dict(uses, script):
    """The report as plain data (``openkeras check --json``).

    Returns ``{'script', 'uses': [{'api', 'lines', 'via_tf', 'supported', 'detail'}, ...],
    'supported', 'unsupported'}`` (the last two are counts).
    """
    bad = sum(not u.supported for u in uses)
    return {"script": script, "uses": [dataclasses.asdict(u) for u in uses],
            "supported": len(uses) - bad, "unsupported": bad}


def check_script(path, print_fn=print, as_json=False) -> int:
    """Print the migration report of a script; return 0 if openkeras supports every use, else 1.

    Args:
        path: the script to read (it is not run).
        print_fn: where report lines go.
        as_json: print the report as one JSON document (``report_dict``) instead of a table.
    """
    with open(path, encoding="utf-8") as f:
        source = f.read()
    try:
        uses = collect_uses(source, path)
    except SyntaxError as e:
        raise ValueError(f"cannot parse {path}: {e}") from e
    resolve_uses(uses)
    if as_json:
        print_fn(json.dumps(report_dict(uses, path), indent=2))
    else:
        for line in format_report(uses, path):
            print_fn(line)
    return 0 if all(u.supported for u in uses) else 1


KERAS2_API_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "keras2_api.json")


def keras2_api():
    """``{'versions': [...], 'modules': {module: [names]}, ...}``: Keras 2's public API list."""
    with open(KERAS2_API_FILE, encoding="utf-8") as f:
        return json.load(f)


def keras2_api_paths(data=None):
    """Every ``keras.module`` and ``keras.module.name`` path of the API list, modules first."""
    data = data or keras2_api()
    paths = []
    for module, names in sorted(data["modules"].items()):
        paths.append(module)
        paths.extend(f"{module}.{name}" for name in names)
    return paths


def check_keras2_api(print_fn=print, as_json=False) -> int:
    """Report the Keras 2.2.4 / 2.3.1 module paths and names openkeras lacks; 0 if none.

    Names that exist but only raise a clear error (TensorFlow/Theano-only features) are
    listed as unsupported; they do not make the check fail.
    """
    data = keras2_api()
    uses = resolve_uses([Use(path, []) for path in keras2_api_paths(data)])
    missing = [u for u in uses if not u.supported and not _exists_unsupported(u.api)]
    unsupported = [u for u in uses if not u.supported and u not in missing]
    if as_json:
        print_fn(json.dumps({"versions": data["versions"], "checked": len(uses),
                             "missing": [dataclasses.asdict(u) for u in missing],
                             "unsupported": [dataclasses.asdict(u) for u in unsupported]},
                            indent=2))
    else:
        for u in missing:
            print_fn(f"MISSING      {u.api}: {u.detail}")
        for u in unsupported:
            print_fn(f"unsupported  {u.api}: {u.detail}")
        print_fn(f"Keras {' and '.join(data['versions'])}: {len(uses)} public module paths and "
                 f"names checked: {len(missing)} missing, {len(unsupported)} present but "
                 "unsupported (they raise a clear error when used).")
    return 1 if missing else 0


def _exists_unsupported(api):
    """Whether ``api`` resolves to an object marked ``_openkeras_unsupported`` (it exists)."""
    was_installed = is_installed()
    install_keras_alias()
    try:
        parts = api.split(".")
        obj = importlib.import_module(parts[0])
        for part in parts[1:]:
            obj = getattr(obj, part)
        return isinstance(getattr(obj, "_openkeras_unsupported", None), str)
    except Exception:
        return False
    finally:
        if not was_installed:
            uninstall_keras_alias()

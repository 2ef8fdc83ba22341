"""Lists every public module path and name of Keras 2.2.4 and 2.3.1, parsed without importing.

    python tools/keras2_api_list.py                      # sources from /work/ref, else pip download
    python tools/keras2_api_list.py --src 2.2.4=/path/to/keras --src 2.3.1=/path/to/keras
    python tools/keras2_api_list.py --download           # always `pip download keras==X --no-deps`

Writes ``openkeras/compat/keras2_api.json``: ``{"versions": {...}, "modules": {"keras.layers":
["Dense", ...], ...}}`` where each module maps to the sorted union of its public names over the
versions, and ``"only_in"`` says which names/modules exist in one version only.

The rule for "public":

- a module is public when no part of its dotted path starts with ``_`` (``keras/__init__.py``
  is ``keras``; ``keras/layers/core.py`` is ``keras.layers.core``);
- a name is public when it is bound at module level (``def``, ``class``, assignment,
  ``import``/``from ... import``, including inside module-level ``if``/``try``), does not
  start with ``_``, and is not a third-party or standard-library module imported there
  (``np``, ``tf``, ``six``, ``os``...), nor any name imported from outside keras
  (``getargspec`` from ``inspect``), even where a fallback assignment binds it too
  (``try: import h5py`` / ``except ImportError: h5py = None``).
  A name imported from another module (``from ..engine import Layer``) counts: Keras 2 code
  imports it from that path. A keras submodule bound by ``from . import x`` or
  ``import keras.x as x`` counts too (``keras.layers.K`` is excluded: it is the backend
  module re-bound under a private-style alias used only for the code there).
- ``from X import *`` is expanded with the public names of keras module ``X``; stars from
  outside keras are ignored.
- backends other than TensorFlow are left out (``keras.backend.theano_backend``,
  ``keras.backend.cntk_backend``): openkeras has one engine and says so when they are asked for.
"""

import argparse
import ast
import json
import os
import subprocess
import sys
import tempfile
import zipfile

REF = {"2.2.4": "/work/ref/Keras-2.2.4/keras", "2.3.1": "/work/ref/Keras-2.3.1/keras"}
# In the package: `openkeras check` reads it, and tests/test_keras2_api.py checks every entry.
OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "openkeras", "compat", "keras2_api.json")
SKIPPED_MODULES = {"keras.backend.theano_backend", "keras.backend.cntk_backend"}
# Module aliases that are keras modules but bound under a name Keras code never imports
# from that path (``from .. import backend as K`` in every module).
SKIPPED_MODULE_ALIASES = {"K"}


def module_files(root):
    """``{module name: file}`` for every .py file of the ``keras`` package at ``root``."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(("_", ".")))
        rel = os.path.relpath(folder, os.path.dirname(root)).replace(os.sep, ".")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            mod = rel if name == "__init__.py" else f"{rel}.{name[:-3]}"
            if any(part.startswith("_") for part in mod.split(".")):
                continue
            if mod not in SKIPPED_MODULES:
                found[mod] = os.path.join(folder, name)
    return found


def _resolve_from(module, is_package, node):
    """The absolute module name of a ``from ... import`` statement."""
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _top_statements(body):
    """Module-level statements, descending into ``if``/``try``/``with`` blocks."""
    for node in body:
        if isinstance(node, ast.If):
            yield from _top_statements(node.body)
            yield from _top_statements(node.orelse)
        elif isinstance(node, ast.Try):
            yield from _top_statements(node.body)
            for handler in node.handlers:
                yield from _top_statements(handler.body)
            yield from _top_statements(node.orelse)
            yield from _top_statements(node.finalbody)
        elif isinstance(node, ast.With):
            yield from _top_statements(node.body)
        else:
            yield node


def _targets(target):
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for t in target.elts:
            yield from _targets(t)


def parse_module(module, path, modules):
    """``(names, stars)``: the public names bound in a module and the keras modules it star-imports."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    is_package = path.endswith("__init__.py")
    names, stars, foreign = set(), [], set()
    for node in _top_statements(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                names.update(_targets(t))
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            names.update(_targets(node.target))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                # `import keras.x as y` binds a keras module; other imports are third-party.
                if alias.asname and alias.name in modules \
                        and alias.asname not in SKIPPED_MODULE_ALIASES:
                    names.add(alias.asname)
                elif alias.name not in modules:
                    foreign.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            source = _resolve_from(module, is_package, node)
            if source != "keras" and not source.startswith("keras."):
                # numpy, six, tensorflow, ...: not Keras API, even when a fallback
                # assignment (`h5py = None`) binds the same name elsewhere
                foreign.update(a.asname or a.name for a in node.names)
                continue
            for alias in node.names:
                if alias.name == "*":
                    stars.append(source)
                    continue
                bound = alias.asname or alias.name
                if bound in SKIPPED_MODULE_ALIASES:
                    continue
                names.add(bound)
    return {n for n in names - foreign if not n.startswith("_")}, stars


def api_of(root):
    """``{module: sorted public names}`` of the keras package at ``root``."""
    files = module_files(root)
    parsed = {m: parse_module(m, p, files) for m, p in files.items()}
    done = {}

    def names_of(mod, seen=()):
        if mod in done:
            return done[mod]
        if mod not in parsed or mod in seen:
            return set()
        names, stars = parsed[mod]
        names = set(names)
        for star in stars:
            names |= names_of(star, (*seen, mod))
        done[mod] = names
        return names

    return {m: sorted(names_of(m)) for m in sorted(parsed)}


def download(version, into):
    """``pip download keras==version --no-deps`` into ``into``; returns the keras folder."""
    subprocess.run([sys.executable, "-m", "pip", "download", f"keras=={version}", "--no-deps",
                    "-d", into], check=True)
    for name in os.listdir(into):
        path = os.path.join(into, name)
        if name.endswith(".whl"):
            with zipfile.ZipFile(path) as z:
                z.extractall(into)
            return os.path.join(into, "keras")
        if name.endswith((".tar.gz", ".tgz")):
            import tarfile
            with tarfile.open(path) as t:
                t.extractall(into, filter="data")
            top = name[:-len(".tar.gz")] if name.endswith(".tar.gz") else name[:-4]
            return os.path.join(into, top, "keras")
    raise RuntimeError(f"pip download keras=={version} left no wheel or sdist in {into}")


def build(sources):
    """The data document for ``{version: keras folder}``."""
    per_version = {v: api_of(root) for v, root in sources.items()}
    merged, where = {}, {}
    for version, api in per_version.items():
        for mod, names in api.items():
            merged.setdefault(mod, set()).update(names)
            where.setdefault(mod, set()).add(version)
            for n in names:
                where.setdefault(f"{mod}.{n}", set()).add(version)
    versions = sorted(sources)
    only_in = {path: sorted(vs)[0] for path, vs in sorted(where.items()) if len(vs) < len(versions)}
    return {"versions": versions,
            "rule": "module-level names not starting with '_', defined or imported from keras "
                    "modules (see tools/keras2_api_list.py)",
            "modules": {m: sorted(n) for m, n in sorted(merged.items())},
            "only_in": only_in}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", default=[], metavar="VERSION=DIR",
                        help="a keras package folder for a version")
    parser.add_argument("--download", action="store_true",
                        help="pip download every version instead of using local sources")
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args(argv)
    given = dict(s.split("=", 1) for s in args.src)
    with tempfile.TemporaryDirectory() as tmp:
        sources = {}
        for version in sorted(set(REF) | set(given)):
            root = given.get(version) or (None if args.download else REF.get(version))
            if root is None or not os.path.isdir(root):
                root = download(version, os.path.join(tmp, version))
            sources[version] = root
        data = build(sources)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(len(n) for n in data["modules"].values())
    print(f"{args.out}: {len(data['modules'])} modules, {total} names")


if __name__ == "__main__":
    main()

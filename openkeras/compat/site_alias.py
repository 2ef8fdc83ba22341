"""``openkeras alias install|uninstall|status``: the ``keras`` alias for a whole environment.

``install`` writes a ``.pth`` file into the environment's site-packages. Python runs its one
line at every interpreter start; the line only puts a small finder on ``sys.meta_path`` (it
imports nothing), and the first ``import keras`` of the process imports openkeras and installs
the alias of ``openkeras.compat.alias``. So ``import keras`` in notebooks, pytest, IDE run
configurations and third-party packages resolves to openkeras, and processes that never import
keras pay nothing. ``OPENKERAS_NO_KERAS_ALIAS=1`` turns it off for one process; ``uninstall``
deletes the file.
"""

import importlib.machinery
import importlib.metadata
import os
import sys
import sysconfig

PTH_NAME = "openkeras_keras_alias.pth"
DISABLE_VARIABLE = "OPENKERAS_NO_KERAS_ALIAS"

# Run by the .pth line at interpreter start (see `site` module): it must stay cheap and must
# never break start-up, so it imports openkeras only when `keras` is imported.
_STARTUP = f'''
class OpenkerasKerasAliasHook:
    """Installs openkeras's `keras` alias at the first `import keras` ({PTH_NAME})."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "keras" and not name.startswith("keras."):
            return None
        import sys
        while cls in sys.meta_path:
            sys.meta_path.remove(cls)
        try:
            from openkeras.compat import alias
        except ImportError:
            return None
        alias.install_keras_alias()
        return alias.KerasAliasFinder().find_spec(name, path, target)


import os as _os
import sys as _sys
if not _os.environ.get("{DISABLE_VARIABLE}"):
    _sys.meta_path.insert(0, OpenkerasKerasAliasHook)
'''


def pth_line() -> str:
    """The line of the ``.pth`` file (``site`` runs lines that start with ``import``)."""
    return f"import sys; exec({_STARTUP!r})\n"


def default_site_dir() -> str:
    """The active environment's site-packages (``sysconfig``'s ``purelib``)."""
    return sysconfig.get_paths()["purelib"]


def pth_path(site_dir=None) -> str:
    return os.path.join(os.fspath(site_dir or default_site_dir()), PTH_NAME)


def real_keras(site_dir=None):
    """``(version, location)`` of an installed ``keras`` distribution, or None."""
    paths = [os.fspath(site_dir or default_site_dir()), *sys.path]
    for dist in importlib.metadata.distributions(path=paths):
        name = (dist.metadata["Name"] or "").lower()
        if name == "keras":
            return dist.version, os.fspath(dist.locate_file(""))
    return None


def install(site_dir=None, force=False) -> str:
    """Write the ``.pth`` file; returns the message for the user.

    Raises:
        RuntimeError: a real ``keras`` distribution is installed and ``force`` is False.
    """
    found = real_keras(site_dir)
    if found is not None and not force:
        version, where = found
        raise RuntimeError(
            f"a real Keras is installed in this environment (keras {version} in {where}); the "
            "alias would hide it from every Python process here. Uninstall it "
            "(pip uninstall keras) or pass --force to alias it anyway.")
    path = pth_path(site_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(pth_line())
    shadowed = f" (it now hides keras {found[0]})" if found else ""
    return (f"Installed the keras alias: {path}{shadowed}.\n`import keras` now imports openkeras "
            f"in every new Python process of this environment. Undo with: openkeras alias "
            f"uninstall (or for one process: {DISABLE_VARIABLE}=1).")


def uninstall(site_dir=None) -> str:
    """Delete the ``.pth`` file; returns the message for the user."""
    path = pth_path(site_dir)
    if not os.path.exists(path):
        return f"The keras alias is not installed ({path} does not exist); nothing to undo."
    os.remove(path)
    return f"Removed the keras alias: {path}. `import keras` no longer imports openkeras."


def status(site_dir=None) -> dict:
    """What ``import keras`` resolves to in new processes of the environment.

    Returns a dict: ``pth`` (the file or None), ``disabled`` (the variable is set),
    ``real_keras`` (``'keras <version> in <dir>'`` or None), ``resolves_to`` (text).
    """
    path = pth_path(site_dir)
    installed = os.path.exists(path)
    disabled = bool(os.environ.get(DISABLE_VARIABLE))
    found = real_keras(site_dir)
    real = f"keras {found[0]} in {found[1]}" if found else None
    if installed and not disabled:
        resolves = "openkeras (the keras alias)"
    else:
        spec = importlib.machinery.PathFinder.find_spec("keras", [os.fspath(
            site_dir or default_site_dir()), *sys.path])
        resolves = (f"a real keras package: {spec.origin or spec.submodule_search_locations}"
                    if spec else "nothing: `import keras` raises ModuleNotFoundError")
    return {"pth": path if installed else None, "disabled": disabled, "real_keras": real,
            "resolves_to": resolves}


def format_status(info) -> list:
    """The lines ``openkeras alias status`` prints."""
    lines = [f"import keras -> {info['resolves_to']}",
             f"alias file: {info['pth'] or 'not installed'}"]
    if info["pth"] and info["disabled"]:
        lines.append(f"(turned off in this shell by {DISABLE_VARIABLE})")
    lines.append(f"real keras distribution: {info['real_keras'] or 'none'}")
    if info["pth"]:
        lines.append("Undo with: openkeras alias uninstall")
    else:
        lines.append("Install with: openkeras alias install")
    return lines

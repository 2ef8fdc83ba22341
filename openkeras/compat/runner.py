"""``openkeras run script.py [args]``: run a Keras 2 script unchanged, on openkeras."""

import os
import runpy
import sys

from openkeras.compat.alias import install_keras_alias, is_installed, uninstall_keras_alias


def _exit_status(exit_exception):
    """The status ``sys.exit(code)`` asks for; a non-integer code is printed, as Python does."""
    code = exit_exception.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _print_traceback(error, script):
    """Print ``error`` as Python would for the script: from its first frame in the script on."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != script:
        tb = tb.tb_next
    if tb is not None or isinstance(error, SyntaxError):  # a syntax error shows its own line
        error = error.with_traceback(tb)  # the default hook prints the exception's own traceback
    sys.excepthook(type(error), error, tb)


def run_script(path, args=()) -> int:
    """Run ``path`` as ``__main__`` with ``keras`` imports resolved to openkeras.

    ``sys.argv`` is ``[path, *args]`` and the script's folder comes first on ``sys.path``, as
    with ``python path``; both are restored afterwards, and the alias is removed again unless
    it was installed before.

    Args:
        path: the Python script (or a folder or zip file with a ``__main__.py``).
        args: the script's command-line arguments.

    Returns:
        The exit status: 0, the script's ``sys.exit`` code, or 1 after an uncaught exception
        (its traceback is printed).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"can't open file {path!r}: no such file or directory")
    folder = os.path.dirname(os.path.abspath(path))
    was_installed = is_installed()
    install_keras_alias()
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *args]
    sys.path.insert(0, folder)
    try:
        runpy.run_path(path, run_name="__main__")
        return 0
    except SystemExit as e:
        return _exit_status(e)
    except Exception as e:
        _print_traceback(e, path)
        return 1
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
        if not was_installed:
            uninstall_keras_alias()

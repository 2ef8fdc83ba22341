import os
import subprocess
import sys
import venv

import pytest

from openkeras import cli
from openkeras.compat import site_alias

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def fresh_venv(tmp_path):
    """A new virtualenv (no pip) that sees openkeras from this checkout and torch from ours."""
    venv.EnvBuilder(with_pip=False).create(tmp_path / "env")
    python = str(tmp_path / "env" / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", site_alias.DISABLE_VARIABLE)}
    env["PYTHONNOUSERSITE"] = "1"

    def run(*args, extra_env=None):
        return subprocess.run([python, *args], capture_output=True, text=True, cwd=tmp_path,
                              env={**env, **(extra_env or {})}, timeout=300)

    purelib = run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip()
    deps = [p for p in sys.path if p.endswith("site-packages") and os.path.isdir(p)]
    with open(os.path.join(purelib, "deps.pth"), "w") as f:
        f.write("\n".join([ROOT, *deps]) + "\n")
    return run, purelib


def test_alias_install_in_a_fresh_virtualenv(fresh_venv, capsys):
    run, purelib = fresh_venv
    without = run("-c", "import keras")
    assert without.returncode != 0 and "No module named 'keras'" in without.stderr

    # `openkeras alias install` run by the venv's python would find `purelib` by itself
    # (test_default_site_dir_is_the_active_environment); run here, it saves an interpreter
    # start that imports torch.
    assert cli.main(["alias", "install", "--site-dir", purelib]) == 0
    out = capsys.readouterr().out
    pth = os.path.join(purelib, site_alias.PTH_NAME)
    assert f"Installed the keras alias: {pth}" in out
    assert "Undo with: openkeras alias uninstall" in out

    # Start-up only adds a finder: nothing is imported until `import keras`.
    idle = run("-c", "import sys; print('openkeras' in sys.modules, 'torch' in sys.modules)")
    assert idle.stdout.split() == ["False", "False"], idle.stderr
    used = run("-c", "import keras; print(keras.__name__); print(keras)\n"
                     "from keras.layers.core import Dense; print(Dense.__module__)")
    assert used.returncode == 0, used.stderr
    name, module, dense = used.stdout.splitlines()
    assert name == "keras" and module == "<module 'keras' (alias of 'openkeras')>"
    assert dense.startswith("openkeras.layers")
    off = run("-c", "import keras", extra_env={site_alias.DISABLE_VARIABLE: "1"})
    assert off.returncode != 0 and "No module named 'keras'" in off.stderr

    assert cli.main(["alias", "uninstall", "--site-dir", purelib]) == 0
    assert not os.path.exists(pth)
    again = run("-c", "import keras")
    assert again.returncode != 0 and "No module named 'keras'" in again.stderr


def _fake_keras(site_dir, version="3.0.0"):
    info = site_dir / f"keras-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: keras\nVersion: {version}\n")


def test_refuses_over_a_real_keras_unless_forced(tmp_path, capsys):
    _fake_keras(tmp_path)
    assert cli.main(["alias", "install", "--site-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "refused: a real Keras is installed in this environment (keras 3.0.0 in" in err
    assert "pip uninstall keras" in err and "--force" in err
    assert not (tmp_path / site_alias.PTH_NAME).exists()

    assert cli.main(["alias", "install", "--force", "--site-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "(it now hides keras 3.0.0)" in out
    assert (tmp_path / site_alias.PTH_NAME).read_text() == site_alias.pth_line()


def test_status_says_what_import_keras_resolves_to(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(site_alias.DISABLE_VARIABLE, raising=False)
    assert cli.main(["alias", "status", "--site-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "import keras -> nothing: `import keras` raises ModuleNotFoundError"
    assert out[1:] == ["alias file: not installed", "real keras distribution: none",
                       "Install with: openkeras alias install"]

    (tmp_path / "keras").mkdir()
    (tmp_path / "keras" / "__init__.py").write_text("")
    _fake_keras(tmp_path, "2.2.4")
    info = site_alias.status(tmp_path)
    assert info["resolves_to"] == f"a real keras package: {tmp_path / 'keras' / '__init__.py'}"
    assert info["real_keras"].startswith("keras 2.2.4 in ")

    site_alias.install(tmp_path, force=True)
    cli.main(["alias", "status", "--site-dir", str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "import keras -> openkeras (the keras alias)"
    assert out[1] == f"alias file: {tmp_path / site_alias.PTH_NAME}"
    monkeypatch.setenv(site_alias.DISABLE_VARIABLE, "1")
    assert site_alias.status(tmp_path)["resolves_to"].startswith("a real keras package")


def test_uninstall_without_install_says_so(tmp_path, capsys):
    assert cli.main(["alias", "uninstall", "--site-dir", str(tmp_path)]) == 0
    assert "not installed" in capsys.readouterr().out


def test_default_site_dir_is_the_active_environment():
    import sysconfig

    assert site_alias.default_site_dir() == sysconfig.get_paths()["purelib"]
    assert site_alias.pth_path().startswith(sys.prefix)

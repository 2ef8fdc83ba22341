import hashlib
import io
import os
import tarfile
import urllib.error
import urllib.request
import zipfile

import pytest

from openkeras.utils import data_utils
from openkeras.utils.data_utils import DownloadError, Sequence, get_file, validate_file

PAYLOAD = b"openkeras test payload\n" * 100
SHA = hashlib.sha256(PAYLOAD).hexdigest()
MD5 = hashlib.md5(PAYLOAD).hexdigest()
ORIGIN = "https://example.invalid/files/payload.bin"


class _Response(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.headers = {"Content-Length": str(len(data))}


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def offline(monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def _serve(monkeypatch, data):
    calls = []

    def fake(url, *args, **kwargs):
        calls.append(url)
        return _Response(data)

    monkeypatch.setattr(urllib.request, "urlopen", fake)
    return calls


def test_download_goes_to_openkeras_home(home, monkeypatch, capsys):
    calls = _serve(monkeypatch, PAYLOAD)
    path = get_file("payload.bin", ORIGIN, file_hash=SHA)
    assert path == str(home / "datasets" / "payload.bin")
    with open(path, "rb") as f:
        assert f.read() == PAYLOAD
    assert calls == [ORIGIN]
    assert "Downloading data from " + ORIGIN in capsys.readouterr().out
    assert [p for p in os.listdir(home / "datasets") if p.endswith(".part")] == []


def test_valid_cached_file_is_used_without_network(home, offline):
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "payload.bin").write_bytes(PAYLOAD)
    assert get_file("payload.bin", ORIGIN, file_hash=SHA).endswith("payload.bin")
    assert get_file("payload.bin", ORIGIN, md5_hash=MD5).endswith("payload.bin")
    # fname defaults to the last part of the URL
    assert get_file(origin=ORIGIN, file_hash=MD5, hash_algorithm="md5").endswith("payload.bin")


def test_cache_dir_and_subdir_arguments(tmp_path, monkeypatch):
    _serve(monkeypatch, PAYLOAD)
    path = get_file("p.bin", ORIGIN, cache_dir=str(tmp_path / "c"), cache_subdir="models")
    assert path == str(tmp_path / "c" / "models" / "p.bin")


def test_corrupted_download_raises_and_leaves_nothing(home, monkeypatch):
    _serve(monkeypatch, b"truncated")
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected") as err:
        get_file("payload.bin", ORIGIN, file_hash=SHA)
    assert SHA in str(err.value)
    assert os.listdir(home / "datasets") == []


def test_missing_file_offline_names_place_and_hash(home, offline):
    with pytest.raises(DownloadError) as err:
        get_file("payload.bin", ORIGIN, file_hash=SHA)
    message = str(err.value)
    assert ORIGIN in message and SHA in message
    assert str(home / "datasets" / "payload.bin") in message
    assert "no network in tests" in message


def test_stale_cached_file_warns_then_reports_offline(home, offline):
    cached = home / "datasets" / "payload.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"other bytes")
    with pytest.warns(UserWarning, match="does not match the expected value"):
        with pytest.raises(DownloadError) as err:
            get_file("payload.bin", ORIGIN, file_hash=SHA)
    assert hashlib.sha256(b"other bytes").hexdigest() in str(err.value)
    assert cached.read_bytes() == b"other bytes"  # the old copy is not thrown away
    # without a hash the cached copy is accepted as is
    assert get_file("payload.bin", ORIGIN) == str(cached)


def test_stale_cached_file_is_replaced_by_download(home, monkeypatch):
    cached = home / "datasets" / "payload.bin"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"old")
    _serve(monkeypatch, PAYLOAD)
    with pytest.warns(UserWarning):
        get_file("payload.bin", ORIGIN, file_hash=SHA)
    assert cached.read_bytes() == PAYLOAD


def _tar_bytes(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_untar_extracts_folder(home, monkeypatch):
    _serve(monkeypatch, _tar_bytes({"things/a.txt": b"A", "things/b.txt": b"B"}))
    path = get_file("things", "https://example.invalid/things.tar.gz", untar=True)
    assert path == str(home / "datasets" / "things")
    assert (home / "datasets" / "things" / "b.txt").read_bytes() == b"B"
    assert (home / "datasets" / "things.tar.gz").exists()


def test_extract_zip(home, monkeypatch):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("inner/z.txt", "zipped")
    _serve(monkeypatch, buf.getvalue())
    path = get_file("z.zip", "https://example.invalid/z.zip", extract=True)
    assert path.endswith("z.zip")
    assert (home / "datasets" / "inner" / "z.txt").read_text() == "zipped"


def test_unsafe_tar_member_is_refused(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_tar_bytes({"../escaped.txt": b"x"}))
    target = tmp_path / "out"
    target.mkdir()
    with pytest.raises((tarfile.TarError, ValueError)):
        data_utils._extract_archive(str(archive), str(target))
    assert not (tmp_path / "escaped.txt").exists()


def test_validate_file_algorithms(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(PAYLOAD)
    assert validate_file(str(path), SHA)
    assert validate_file(str(path), MD5)
    assert validate_file(str(path), MD5, algorithm="md5")
    assert not validate_file(str(path), SHA, algorithm="md5")
    assert data_utils._hash_file(str(path)) == SHA
    with pytest.raises(ValueError, match="hash_algorithm='crc'"):
        validate_file(str(path), SHA, algorithm="crc")


def test_get_file_requires_origin():
    with pytest.raises(ValueError, match="origin"):
        get_file("x")


class Squares(Sequence):
    def __init__(self):
        self.epochs = 0

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return index * index

    def on_epoch_end(self):
        self.epochs += 1


def test_sequence_iterates_batches_in_order():
    seq = Squares()
    assert list(seq) == [0, 1, 4, 9]
    seq.on_epoch_end()
    assert seq.epochs == 1


def test_sequence_base_methods_must_be_implemented():
    with pytest.raises(NotImplementedError):
        len(Sequence())
    with pytest.raises(NotImplementedError):
        Sequence()[0]
    assert Sequence().on_epoch_end() is None

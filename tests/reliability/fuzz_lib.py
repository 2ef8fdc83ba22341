"""A seeded mutation fuzzer over real model files: every load gives the same model or a clear
openkeras error, within a time limit, without a memory blow-up.

Sources are the golden files in tests/fixtures (written by tf_keras and Keras 3) and copies
of some of them re-saved by openkeras (HDF5 model, HDF5 weights, .keras archive), plus model
configs as JSON and YAML text. Case ``i`` of seed ``s`` is always the same mutation of the
same source. Outcomes:

- ``same``: loaded, and the weights and predictions equal the intact file's;
- ``different``: loaded with other numbers (allowed only for files openkeras did not write,
  which carry no checksum, and for config text);
- ``error``: an openkeras error: a ValueError or OSError with a message, naming the file;
- ``crash`` (any other exception), ``hang`` (over the time limit) and ``blowup`` (memory
  growth over the limit) are failures, as is ``different`` for a file openkeras wrote.

Used by tests/reliability/test_fuzz.py (a few hundred cases) and tools/fuzz_files.py
(thousands).
"""

import copy
import io
import json
import os
import random
import resource
import signal
import time
import warnings
import zipfile
from dataclasses import dataclass, field

import h5py
import numpy as np
import yaml

import openkeras
from openkeras import models, saving

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
FOREIGN_H5 = ["mlp_bn", "cnn", "embedding_lstm", "nested", "two_io_shared", "bidirectional",
              "gru_reset_after", "simple_rnn", "time_distributed", "conv1d_global"]
RESAVED = ["mlp_bn", "nested", "embedding_lstm", "two_io_shared"]
CONFIGS = ["mlp", "mnist_cnn", "nested_shared", "two_io_shared", "merge_all", "regularized",
           "mnist_cnn_keras1"]
HOSTILE_NAMES = ["system", "eval", "exec", "__import__", "save", "open", "getattr", "load",
                 "Functional", "Lambda", "", "Dense\x00"]
FAILURES = ("crash", "hang", "blowup", "silent_different")
TIME_LIMIT_S = 5.0
_NEST = "__nested_here__"
MEMORY_LIMIT_BYTES = 1 << 30


@dataclass
class Source:
    name: str
    kind: str  # 'h5', 'h5_weights', 'keras', 'json', 'yaml'
    data: bytes
    ours: bool  # written by openkeras (carries checksums)
    reference: dict = field(default_factory=dict)


@dataclass
class Outcome:
    case: int
    source: str
    mutation: str
    result: str
    seconds: float
    detail: str = ""


class _Timeout(Exception):
    pass


# ------------------------------------------------------------------------------ sources
def build_sources(workdir):
    """The intact sources and their reference numbers (weights, predictions)."""
    sources = []
    for name in FOREIGN_H5:
        with open(os.path.join(FIXTURES, "h5", f"{name}.h5"), "rb") as f:
            sources.append(Source(name, "h5", f.read(), ours=False))
    with open(os.path.join(FIXTURES, "h5", "mlp_bn_weights.h5"), "rb") as f:
        sources.append(Source("mlp_bn_weights", "h5_weights", f.read(), ours=False))
    for fname in sorted(os.listdir(os.path.join(FIXTURES, "keras3"))):
        if fname.endswith(".keras"):
            with open(os.path.join(FIXTURES, "keras3", fname), "rb") as f:
                sources.append(Source(fname[:-6] + "_k3", "keras", f.read(), ours=False))
    for name in RESAVED:
        model = saving.load_model(os.path.join(FIXTURES, "h5", f"{name}.h5"), compile=True)
        for kind, ext in (("h5", ".h5"), ("h5_weights", "_weights.h5"), ("keras", ".keras")):
            path = os.path.join(workdir, f"ours_{name}{ext}")
            (model.save_weights if kind == "h5_weights" else model.save)(path)
            with open(path, "rb") as f:
                sources.append(Source(f"ours_{name}{ext}", kind, f.read(), ours=True))
    for name in CONFIGS:
        with open(os.path.join(FIXTURES, "configs", f"{name}.json")) as f:
            text = f.read()
        sources.append(Source(f"{name}.json", "json", text.encode(), ours=False))
        sources.append(Source(f"{name}.yaml", "yaml",
                              yaml.safe_dump(json.loads(text)).encode(), ours=False))
    for source in sources:
        source.reference = _load(source, _write(source, source.data, workdir))
    return sources


def _write(source, data, workdir):
    if source.kind in ("json", "yaml"):
        return data
    ext = ".keras" if source.kind == "keras" else ".h5"
    path = os.path.join(workdir, f"case_{source.name.rsplit('.', 1)[0]}{ext}")
    with open(path, "wb") as f:
        f.write(data)
    return path


def _inputs(model):
    rng = np.random.default_rng(0)
    out = []
    for x in model.inputs:
        shape = [2 if d is None else int(d) for d in x.shape]
        out.append(rng.integers(0, 3, size=shape).astype("float32"))
    return out if len(out) > 1 else out[0]


def _target(name):
    """A fresh model to load a weights file into (built from the intact full model's config)."""
    base = name.replace("ours_", "").replace("_weights.h5", "").replace("_weights", "")
    with h5py.File(os.path.join(FIXTURES, "h5", f"{base}.h5"), "r") as f:
        config = f.attrs["model_config"]
    return models.model_from_json(config if isinstance(config, str) else config.decode())


def _load(source, target, by_name=False, skip_mismatch=False):
    """Load ``target`` (a path, or config text) as ``source`` says; return its numbers."""
    if source.kind == "json":
        model = models.model_from_json(target.decode("utf-8", "replace"))
        return {"config": json.dumps(model.get_config(), sort_keys=True, default=str)}
    if source.kind == "yaml":
        model = models.model_from_yaml(target.decode("utf-8", "replace"))
        return {"config": json.dumps(model.get_config(), sort_keys=True, default=str)}
    if source.kind == "h5_weights":
        model = _target(source.name)
        model.load_weights(target, by_name=by_name, skip_mismatch=skip_mismatch)
    else:
        model = saving.load_model(target)
    return {"weights": model.get_weights(), "predictions": model.predict(_inputs(model),
                                                                         verbose=0)}


def _same(a, b):
    if set(a) != set(b):
        return False
    if "config" in a:
        return a["config"] == b["config"]
    wa, wb = a["weights"], b["weights"]
    if len(wa) != len(wb) or any(x.shape != y.shape or not np.array_equal(x, y, equal_nan=True)
                                 for x, y in zip(wa, wb, strict=True)):
        return False
    pa, pb = a["predictions"], b["predictions"]
    pa, pb = (pa if isinstance(pa, list) else [pa]), (pb if isinstance(pb, list) else [pb])
    return all(np.array_equal(x, y, equal_nan=True) for x, y in zip(pa, pb, strict=True))


# ---------------------------------------------------------------------------- mutations
def _bitflip(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return bytes(data), "bitflip"


def _byteset(rng, data):
    data = bytearray(data)
    i = rng.randrange(len(data))
    n = rng.randint(1, 16)
    data[i:i + n] = bytes(rng.choice([0, 0xFF, rng.randrange(256)]) for _ in range(n))
    return bytes(data), "byteset"


def _truncate(rng, data):
    return data[:rng.randrange(len(data))], "truncate"


def _mutate_json(rng, config):
    """One structural change to a parsed config (a new object); returns (config, label)."""
    config = copy.deepcopy(config)
    places = []
    nest = None

    def walk(obj, depth):
        if depth > 40:
            return
        items = obj.items() if isinstance(obj, dict) else enumerate(obj) \
            if isinstance(obj, list) else ()
        for key, value in items:
            places.append((obj, key))
            walk(value, depth + 1)

    walk(config, 0)
    if not places:
        return config, "json-empty", None
    obj, key = rng.choice(places)
    op = rng.choice(["delete", "retype", "nest", "hostile", "self", "huge", "swap"])
    if op == "delete" and isinstance(obj, dict):
        del obj[key]
    elif op == "delete":
        obj.pop(key)
    elif op == "retype":
        obj[key] = rng.choice([None, 0, -1, 2**63, 1e308, float("nan"), "x", [], {}, [[[]]],
                               {"class_name": "Dense"}, True])
    elif op == "nest":  # spliced into the text below: json.dumps itself would recurse
        nest = (rng.choice([50, 200, 2000]), obj[key])
        obj[key] = _NEST
    elif op == "hostile":
        target = obj if isinstance(obj, dict) and "class_name" in obj else None
        if target is None:
            obj[key] = rng.choice(HOSTILE_NAMES)
        else:
            target["class_name"] = rng.choice(HOSTILE_NAMES)
    elif op == "self":  # a layer's inbound node pointing at itself, or a model inside itself
        if isinstance(obj, dict) and isinstance(obj.get("name"), str):
            obj["inbound_nodes"] = [[[obj["name"], 0, 0, {}]]]
        else:
            obj[key] = copy.deepcopy(config)
    elif op == "huge":
        obj[key] = rng.choice([10**6, 10**9, 10**12, -10**6, "x" * 100_000])
    else:
        other_obj, other_key = rng.choice(places)
        obj[key], other_obj[other_key] = other_obj[other_key], obj[key]
    return config, f"json-{op}", nest


def _json_text_mutation(rng, text):
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        return text, "json-unparsable"
    config, label, nest = _mutate_json(rng, config)
    text = json.dumps(config, default=str)
    if nest is not None:
        depth, value = nest
        text = text.replace(json.dumps(_NEST), "[" * depth + json.dumps(value) + "]" * depth, 1)
    return text, label


def _h5_objects(f):
    names = []
    f.visit(names.append)
    return names


def _h5_mutation(rng, data, workdir):
    """One structural change inside an HDF5 file (bytes in, bytes out)."""
    path = os.path.join(workdir, "mutating.h5")
    with open(path, "wb") as out:
        out.write(data)
    with h5py.File(path, "r+") as f:
        names = _h5_objects(f)
        ops = ["delete", "rename", "retype", "huge", "attr_delete", "attr_retype", "config",
               "external_link", "external_storage", "attr_shuffle"]
        op = rng.choice(ops)
        datasets = [n for n in names if isinstance(f[n], h5py.Dataset)]
        attrs = [(n, k) for n in [""] + names for k in (f[n] if n else f).attrs]
        if op == "delete" and names:
            del f[rng.choice(names)]
        elif op == "rename" and names:
            src = rng.choice(names)
            f.move(src, src + rng.choice(["_x", "X", "/../x"]).replace("/../", "_"))
        elif op == "retype" and datasets:
            name = rng.choice(datasets)
            value = np.asarray(f[name])
            del f[name]
            new = rng.choice(["float16", "float64", "int32", "S8", "group", "bool"])
            if new == "group":
                f.create_group(name)
            else:
                f.create_dataset(name, data=value.astype(new) if new != "S8"
                                 else value.astype(str).astype("S8"))
        elif op == "huge" and datasets:
            name = rng.choice(datasets)
            shape = f[name].shape or (1,)
            del f[name]
            big = tuple(d * rng.choice([10**3, 10**6]) for d in shape)
            f.create_dataset(name, shape=big, dtype="float32", chunks=(1,) * (len(big) - 1)
                             + (min(1024, big[-1]),))
        elif op == "attr_delete" and attrs:
            n, k = rng.choice(attrs)
            del (f[n] if n else f).attrs[k]
        elif op == "attr_retype" and attrs:
            n, k = rng.choice(attrs)
            (f[n] if n else f).attrs[k] = rng.choice([
                0, -1, np.arange(3), "x", b"\xff\xfe", np.array([b"a", b"b"]),
                "x" * 60_000, np.float64(1e308)])
        elif op == "attr_shuffle" and attrs:
            n, k = rng.choice(attrs)
            value = (f[n] if n else f).attrs[k]
            if isinstance(value, np.ndarray) and value.size > 1:
                (f[n] if n else f).attrs[k] = value[::-1]
        elif op == "config" and "model_config" in f.attrs:
            text = f.attrs["model_config"]
            text = text if isinstance(text, str) else text.decode()
            new, label = _json_text_mutation(rng, text)
            f.attrs["model_config"] = new.encode()
            op = f"config/{label}"
        elif op == "external_link" and datasets:
            name = rng.choice(datasets)
            del f[name]
            f[name] = h5py.ExternalLink(path, "/" + rng.choice(datasets))
        elif op == "external_storage" and datasets:
            name = rng.choice(datasets)
            shape, dtype = f[name].shape, f[name].dtype
            del f[name]
            nbytes = int(np.prod(shape)) * dtype.itemsize if shape else dtype.itemsize
            f.create_dataset(name, shape, dtype, external=[(path, 0, max(nbytes, 1))])
        else:
            op = "noop"
    with open(path, "rb") as f:
        return f.read(), f"h5-{op}"


def _archive_mutation(rng, data, workdir):
    """Change a .keras archive: its members, their sizes and names, or what is inside them."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {info.filename: z.read(info) for info in z.infolist()}
    op = rng.choice(["bomb", "traversal", "remove", "rename", "config", "weights", "duplicate"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        if op == "remove":
            members.pop(rng.choice(sorted(members)))
        elif op == "rename":
            name = rng.choice(sorted(members))
            members[name + ".old"] = members.pop(name)
        elif op == "traversal":
            members[rng.choice(["../../evil.txt", "/etc/evil", "..\\evil", "a/../../b"])] = b"x"
        elif op == "config" and "config.json" in members:
            text, label = _json_text_mutation(rng, members["config.json"].decode())
            members["config.json"] = text.encode()
            op = f"config/{label}"
        elif op == "weights" and "model.weights.h5" in members:
            members["model.weights.h5"], label = _h5_mutation(rng, members["model.weights.h5"],
                                                              workdir)
            op = f"weights/{label}"
        elif op == "duplicate":
            name = rng.choice(sorted(members))
            out.writestr(name, b"{}")
        for name, value in members.items():
            if op == "bomb" and name == "model.weights.h5":
                with out.open(name, "w", force_zip64=True) as w:
                    w.write(value)
                    for _ in range(rng.choice([8, 64])):
                        w.write(bytes(2**20))
            else:
                out.writestr(name, value)
    return buffer.getvalue(), f"zip-{op}"


def _yaml_mutation(rng, data):
    op = rng.choice(["alias_bomb", "self_reference", "deep", "tag", "json"])
    if op == "alias_bomb":
        lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
        for p, c in zip("abcdefghi", "bcdefghij", strict=True):
            lines.append(f"{c}: &{c} [" + ", ".join([f"*{p}"] * 10) + "]")
        return ("\n".join(lines) + "\nclass_name: Sequential\nconfig: *j\n").encode(), op
    if op == "self_reference":
        return b"&r {class_name: Sequential, config: {name: s, layers: [*r]}}", op
    if op == "deep":
        n = rng.choice([100, 1000, 5000])
        return ("class_name: Sequential\nconfig: " + "[" * n + "]" * n + "\n").encode(), op
    if op == "tag":
        return b"!!python/object/apply:os.system ['true']", op
    text, label = _json_text_mutation(rng, json.dumps(yaml.safe_load(data)))
    return text.encode(), f"yaml-{label}"  # JSON is YAML (flow style)


def mutate(rng, source, workdir):
    """(mutated bytes, label) for ``source``; the same rng state gives the same mutation."""
    data = source.data
    if source.kind == "json":
        if rng.random() < 0.3:
            return _bitflip(rng, data)
        text, label = _json_text_mutation(rng, data.decode())
        return text.encode(), label
    if source.kind == "yaml":
        return _yaml_mutation(rng, data)
    pick = rng.random()
    if pick < 0.25:
        return _bitflip(rng, data)
    if pick < 0.35:
        return _byteset(rng, data)
    if pick < 0.45:
        return _truncate(rng, data)
    if source.kind == "keras":
        return _archive_mutation(rng, data, workdir)
    return _h5_mutation(rng, data, workdir)


# ---------------------------------------------------------------------------------- run
def _alarm(signum, frame):
    raise _Timeout()


def _is_clear_error(error, source, target):
    if not isinstance(error, (ValueError, OSError)) or isinstance(error, _Timeout):
        return False
    text = str(error)
    if not text.strip():
        return False
    if source.kind in ("json", "yaml"):
        return True
    return os.path.basename(target) in text


def run_case(sources, seed, case, workdir):
    """Mutate one source (chosen by ``seed`` and ``case``), load it, classify the outcome."""
    rng = random.Random(seed * 1_000_003 + case)
    source = sources[case % len(sources)]
    data, label = mutate(rng, source, workdir)
    target = _write(source, data, workdir)
    by_name = source.kind == "h5_weights" and rng.random() < 0.5
    skip_mismatch = by_name and rng.random() < 0.5
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            numbers = _load(source, target, by_name=by_name, skip_mismatch=skip_mismatch)
        result, detail = ("same", "") if _same(numbers, source.reference) else ("different", "")
        skipped = [w for w in caught if "Skipping loading weights" in str(w.message)]
        if result == "different" and skipped:  # what skip_mismatch=True asks for, with a word
            result, detail = "skipped_with_warning", str(skipped[0].message)[:200]
    except _Timeout:
        result, detail = "hang", f"over {TIME_LIMIT_S} s"
    except Exception as e:  # noqa: BLE001 - classifying every outcome is the point
        clear = _is_clear_error(e, source, target)
        result, detail = ("error" if clear else "crash"), f"{type(e).__name__}: {str(e)[:300]}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    seconds = time.perf_counter() - start
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    if result != "hang" and grown > MEMORY_LIMIT_BYTES:
        result, detail = "blowup", f"peak memory grew by {grown >> 20} MB; {detail}"
    if result == "different" and source.ours and source.kind not in ("json", "yaml"):
        result = "silent_different"
    openkeras.backend.clear_session(free_memory=False)
    return Outcome(case, source.name, label, result, seconds, detail)


def summarize(outcomes):
    """Counts by outcome, and the failures."""
    counts = {}
    for o in outcomes:
        counts[o.result] = counts.get(o.result, 0) + 1
    failures = [o for o in outcomes if o.result in FAILURES]
    return counts, failures

"""What the torchrun test runs: the same calls in one process (the reference) and under DDP.

``python -m torch.distributed.run --nproc_per_node=2 ddp_worker.py OUT`` runs ``run(OUT)`` on
each process; ``test_distributed.py`` also calls ``run(OUT)`` in a single process. Each run
saves its weights, predictions and logs to OUT/rank{r}.npz and OUT/rank{r}.json.
"""

import json
import math
import os
import sys
import warnings

import numpy as np
import torch
import torch.distributed as dist

from openkeras import callbacks, layers, optimizers
from openkeras.engine.training import Model
from openkeras.utils.data_utils import Sequence

BATCH = 7  # the global batch: 4 + 3 samples on two processes; 22 samples end with a 1-sample batch


def make_model():
    """Fixed weights, SGD, mse and mae."""
    rng = np.random.default_rng(0)
    inp = layers.Input((4,))
    out = layers.Dense(1)(layers.Dense(3, activation="tanh")(inp))
    model = Model(inp, out)
    model.set_weights([rng.normal(size=w.shape).astype("float32") for w in model.get_weights()])
    model.compile(optimizers.SGD(learning_rate=0.1), loss="mse", metrics=["mae"])
    return model


def make_data():
    rng = np.random.default_rng(1)
    return {"x": rng.normal(size=(22, 4)).astype("float32"),
            "y": rng.normal(size=(22, 1)).astype("float32"),
            "xe": rng.normal(size=(11, 4)).astype("float32"),
            "ye": rng.normal(size=(11, 1)).astype("float32")}


class CountingSequence(Sequence):
    """Batches of ``batch`` rows; counts the batches read."""

    def __init__(self, x, y, batch):
        self.x, self.y, self.batch, self.reads = x, y, batch, 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch)

    def __getitem__(self, i):
        self.reads += 1
        sl = slice(i * self.batch, (i + 1) * self.batch)
        return self.x[sl], self.y[sl]


class CountingDataset(torch.utils.data.Dataset):
    """One sample per index; counts the samples read."""

    def __init__(self, x, y):
        self.x, self.y, self.reads = torch.from_numpy(x), torch.from_numpy(y), 0

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        self.reads += 1
        return self.x[i], self.y[i]


class StreamedDataset(torch.utils.data.IterableDataset):
    """The samples as a stream (no indexing): read on rank 0 and broadcast."""

    def __init__(self, x, y):
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)

    def __iter__(self):
        return zip(self.x, self.y, strict=True)


def counting_generator(x, y, batch, counter):
    """Endless passes of ``batch``-row batches; ``counter[0]`` counts the batches read."""
    while True:
        for i in range(0, len(x), batch):
            counter[0] += 1
            yield x[i:i + batch], y[i:i + batch]


def run(out):
    """Every check's data, for this process."""
    distributed = dist.is_available() and "WORLD_SIZE" in os.environ
    rank = int(os.environ.get("RANK", 0))
    d = make_data()
    arrays, logs = {}, {}

    def keep(name, model):
        for i, w in enumerate(model.get_weights()):
            arrays[f"{name}.w{i}"] = w

    # Arrays: global batch 7, no shuffling, then shuffled with the seed every process sets.
    model = make_model()
    logs["plain"] = model.fit(d["x"], d["y"], batch_size=BATCH, epochs=3, shuffle=False,
                              verbose=2).history
    keep("plain", model)
    torch.manual_seed(5)
    shuffled = make_model()
    logs["shuffled"] = shuffled.fit(d["x"], d["y"], batch_size=BATCH, epochs=3, shuffle=True,
                                    verbose=0).history
    keep("shuffled", shuffled)

    # Sample weights, validation_split and block shuffling.
    torch.manual_seed(7)
    weighted = make_model()
    sw = np.linspace(0.5, 2.0, len(d["x"])).astype("float32")
    logs["weighted"] = weighted.fit(d["x"], d["y"], sample_weight=sw, validation_split=0.25,
                                    batch_size=5, shuffle="batch", epochs=2, verbose=0).history
    keep("weighted", weighted)

    # evaluate and predict (global values, every row in order)
    logs["evaluate"] = model.evaluate(d["xe"], d["ye"], batch_size=4, verbose=1, return_dict=True)
    logs["evaluate_steps"] = model.evaluate(d["xe"], d["ye"], batch_size=4, steps=2, verbose=0,
                                            return_dict=True)
    # one sample: rank 1 gets no part at all
    logs["evaluate_one"] = model.evaluate(d["xe"][:1], d["ye"][:1], batch_size=4, verbose=0,
                                          return_dict=True)
    arrays["pred_one"] = model.predict(d["x"][:1], batch_size=4)
    arrays["pred"] = model.predict(d["x"], batch_size=5, verbose=1)
    arrays["pred_seq"] = model.predict(CountingSequence(d["x"], d["y"], 5))
    arrays["pred_gen"] = model.predict(counting_generator(d["x"], d["y"], 5, [0]), steps=5)
    loader = torch.utils.data.DataLoader(CountingDataset(d["x"], d["y"]), batch_size=5)
    arrays["pred_loader"] = model.predict(loader)

    # Validation and the callbacks that decide on it; files named by rank.
    model = make_model()
    cbs = [callbacks.EarlyStopping(monitor="val_loss", patience=2, min_delta=1.0),
           callbacks.ReduceLROnPlateau(monitor="val_loss", patience=1, factor=0.5, min_delta=1.0),
           callbacks.ModelCheckpoint(os.path.join(out, f"best_rank{rank}.h5"),
                                     save_best_only=True),
           callbacks.CSVLogger(os.path.join(out, f"log_rank{rank}.csv"))]
    logs["callbacks"] = model.fit(d["x"], d["y"], batch_size=BATCH, epochs=8, shuffle=False,
                                  validation_data=(d["xe"], d["ye"]), validation_batch_size=5,
                                  callbacks=cbs, verbose=0).history
    keep("callbacks", model)

    # Every source, read once per epoch in total; the same training as the arrays.
    seq = CountingSequence(d["x"], d["y"], BATCH)
    model = make_model()
    model.fit(seq, epochs=3, shuffle=False, verbose=0)
    keep("seq", model)
    torch.manual_seed(9)  # a shuffled Sequence: rank 0 draws the order, as one process does
    model = make_model()
    model.fit(CountingSequence(d["x"], d["y"], BATCH), epochs=2, shuffle=True, verbose=0)
    keep("seq_shuffled", model)
    counter = [0]
    model = make_model()
    val_counter = [0]
    logs["gen"] = model.fit(counting_generator(d["x"], d["y"], BATCH, counter), steps_per_epoch=4,
                            epochs=3, verbose=0,
                            validation_data=counting_generator(d["xe"], d["ye"], 5, val_counter),
                            validation_steps=3, workers=0).history  # no read-ahead: exact reads
    keep("gen", model)
    dataset = CountingDataset(d["x"], d["y"])
    model = make_model()
    model.fit(torch.utils.data.DataLoader(dataset, batch_size=BATCH), epochs=3, verbose=0)
    keep("loader", model)
    shuffled_set = CountingDataset(d["x"], d["y"])
    model = make_model()
    model.fit(torch.utils.data.DataLoader(shuffled_set, batch_size=BATCH, shuffle=True),
              epochs=2, verbose=0)
    keep("loader_shuffled", model)
    model = make_model()
    model.fit(torch.utils.data.DataLoader(StreamedDataset(d["x"], d["y"]), batch_size=BATCH),
              epochs=3, verbose=0)
    keep("stream", model)
    plain_set = CountingDataset(d["x"], d["y"])
    model = make_model()
    model.fit(plain_set, batch_size=BATCH, epochs=3, shuffle=False, verbose=0)
    keep("dataset", model)
    logs["reads"] = {"seq": seq.reads, "gen": counter[0], "gen_val": val_counter[0],
                     "loader": dataset.reads, "loader_shuffled": shuffled_set.reads,
                     "dataset": plain_set.reads}

    # A model whose second head has no loss (its weights get no gradient).
    inp = layers.Input((4,))
    hidden = layers.Dense(3)(inp)
    two = Model(inp, [layers.Dense(1, name="main")(hidden), layers.Dense(2, name="aux")(hidden)])
    two.compile(optimizers.SGD(0.1), loss={"main": "mse"})
    two.fit(d["x"], d["y"], batch_size=8, epochs=1, verbose=0)
    keep("two", two)

    # Weights written by one process load here.
    model = make_model()
    single = os.path.join(os.path.dirname(out.rstrip("/")), "single_weights.h5")
    if os.path.exists(single):
        model.load_weights(single)
        arrays["loaded_pred"] = model.predict(d["xe"])

    if distributed:
        # A DataLoader with the user's own sampler is kept, with a note.
        sampler = torch.utils.data.distributed.DistributedSampler(
            CountingDataset(d["x"], d["y"]), shuffle=False)
        model = make_model()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(torch.utils.data.DataLoader(sampler.dataset, batch_size=4, sampler=sampler),
                      epochs=1, verbose=0)
        logs["sampler_note"] = [str(w.message) for w in caught]
        keep("own_sampler", model)
        # Mixed precision: autocast around fit.
        model = make_model()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            model.fit(d["x"], d["y"], batch_size=8, epochs=2, verbose=0)
        keep("autocast", model)
        try:
            make_model().fit(d["x"], d["y"], batch_size=1, epochs=1, verbose=0)
        except ValueError as e:
            logs["batch_error"] = str(e)

    np.savez(os.path.join(out, f"rank{rank}.npz"), **arrays)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as f:
        json.dump(logs, f)


if __name__ == "__main__":
    out_dir = sys.argv[1]
    sys.stdout = open(os.path.join(out_dir, f"stdout_{os.environ['RANK']}.txt"), "w")
    run(out_dir)
    sys.stdout.close()

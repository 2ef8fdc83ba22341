"""One measurement in this process: one workload, openkeras eager / compiled or the torch loop.

``run_all.py`` starts a fresh interpreter per measurement and reads the JSON line printed last.
A measurement times the first epoch (lazy set-up; for the compiled variant, compilation too)
and then ``--epochs`` more. For a predict workload an "epoch" is one pass of predict calls:
one ``predict`` over the samples at batch 256, or one call per sample at batch 1.

    .venv/bin/python benchmarks/measure.py VARIANT WORKLOAD [--epochs 3] [--quick] [--threads N]

VARIANT: ``eager`` (``model.compile(...)``), ``compiled`` (``model.compile(...,
jit_compile=True)``) or ``torch`` (the hand-written loop, with ``torch.no_grad()`` and
``net.eval()`` for prediction).
"""

import argparse
import json
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), HERE]

import bench_fit  # noqa: E402
import bench_layers  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import openkeras  # noqa: E402

PREDICT_BATCH = 256


def lstm_workload(n):
    """bench_layers.py's seed LSTM(100) regression model in bench_fit.py's workload form."""
    x, y, keras_model, net_class, batch_size = bench_layers.lstm_workload()

    def torch_model():
        net = net_class()
        return net, torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)

    return x[:n], y[:n], keras_model, torch_model, batch_size


# name -> (workload builder, kind, samples, samples with --quick). Kinds: "fit" (ms per train
# step), "predict" (ms per batch of PREDICT_BATCH), "predict_on_batch" / "predict1" (ms per
# single-sample call of model.predict_on_batch(x[i:i+1]) / model.predict(x[i:i+1])).
WORKLOADS = {
    "tiny": (bench_fit.tiny_workload, "fit", 16000, 2000),
    "mlp": (bench_fit.mlp_workload, "fit", 20000, 2560),
    "cnn": (bench_fit.cnn_workload, "fit", 3200, 480),
    "lstm": (lstm_workload, "fit", 4000, 1000),
    "predict": (bench_fit.mlp_workload, "predict", 10000, 2560),
    "predict1": (bench_fit.mlp_workload, "predict_on_batch", 500, 100),
    "predict1_predict": (bench_fit.mlp_workload, "predict1", 500, 100),
}


def data(workload, quick):
    """``(x, keras targets, torch targets, keras_model, torch_model, batch_size, kind)``."""
    make, kind, n, quick_n = WORKLOADS[workload]
    x, y, keras_model, torch_model, batch_size = make(quick_n if quick else n)
    # Classifiers: Keras trains on one-hot targets, torch's cross_entropy on class indices.
    y_keras = bench_fit.one_hot(y) if y.dtype == np.int64 else y
    return x, y_keras, y, keras_model, torch_model, batch_size, kind


def keras_epoch(model, kind, x, y, batch_size):
    """One epoch (or predict pass) of openkeras; returns a number to show it ran."""
    if kind == "fit":
        return model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0).history["loss"][-1]
    if kind == "predict":
        return float(model.predict(x, batch_size=PREDICT_BATCH).sum())
    call = model.predict_on_batch if kind == "predict_on_batch" else model.predict
    total = 0.0
    for i in range(len(x)):
        total += float(call(x[i:i + 1])[0, 0])
    return total


def torch_predict(net, x_np, device):
    """What a PyTorch user writes to predict a numpy array: eval, no_grad, softmax, numpy."""
    net.eval()
    with torch.no_grad():
        x = torch.from_numpy(x_np).to(device)
        return torch.cat([torch.softmax(net(x[i:i + PREDICT_BATCH]), 1)
                          for i in range(0, len(x), PREDICT_BATCH)]).cpu().numpy()


def torch_predict_one(net, x_np, device):
    net.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(len(x_np)):
            out = torch.softmax(net(torch.from_numpy(x_np[i:i + 1]).to(device)), 1)
            total += float(out.cpu().numpy()[0, 0])
    return total


def torch_epoch(net, opt, kind, x, y, batch_size, device):
    if kind == "fit" and y.dtype == np.int64:
        return bench_fit.torch_epoch(net, opt, x, y, batch_size, device)[0]
    if kind == "fit":
        return bench_layers.torch_epoch(net, opt, x, y, batch_size, device)
    if kind == "predict":
        return float(torch_predict(net, x, device).sum())
    return torch_predict_one(net, x, device)


def units(kind, samples, batch_size):
    """How many units (train steps, predict batches or calls) one epoch has, and their name."""
    if kind == "fit":
        return math.ceil(samples / batch_size), "step"
    if kind == "predict":
        return math.ceil(samples / PREDICT_BATCH), "batch"
    return samples, "call"


def measure(variant, workload, epochs, quick, threads):
    """Time the first epoch and ``epochs`` more of one variant; a JSON-ready dict."""
    if threads:
        openkeras.config.set_threads(threads)  # also torch.set_num_threads
    torch.manual_seed(0)
    openkeras.utils.set_random_seed(0)
    x, y_keras, y, keras_model, torch_model, batch_size, kind = data(workload, quick)
    device = openkeras.config.device()  # the torch loop runs where openkeras runs
    if variant == "torch":
        net, opt = torch_model()
        net.to(device)  # moves the parameters in place: the optimizer keeps them

        def epoch():
            return torch_epoch(net, opt, kind, x, y, batch_size, device)
    else:
        model = keras_model(jit_compile=True) if variant == "compiled" else keras_model()

        def epoch():
            return keras_epoch(model, kind, x, y_keras, batch_size)
    seconds = []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        result = epoch()
        seconds.append(time.perf_counter() - start)
    count, unit = units(kind, len(x), batch_size)
    return {"variant": variant, "workload": workload, "first_s": seconds[0],
            "steady_s": statistics.median(seconds[1:]), "epoch_s": seconds[1:], "units": count,
            "unit": unit, "result": float(result), "torch": torch.__version__,
            "device": str(device), "threads": torch.get_num_threads()}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variant", choices=("eager", "compiled", "torch"))
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--epochs", type=int, default=3, help="timed epochs after the first")
    parser.add_argument("--quick", action="store_true", help="the small data of --quick")
    parser.add_argument("--threads", type=int, default=0, help="0: torch's default")
    args = parser.parse_args()
    print(json.dumps(measure(args.variant, args.workload, args.epochs, args.quick, args.threads)))


if __name__ == "__main__":
    main()

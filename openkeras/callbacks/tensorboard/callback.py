"""TensorBoard: scalars, histograms, images, graphs, embeddings and profiles, through
``torch.utils.tensorboard``."""

import os
import time
import warnings

import numpy as np
import torch

from openkeras.callbacks.base import Callback
from openkeras.callbacks.batch_hooks import enable_hooks
from openkeras.callbacks.tensorboard import graph, images, projector
from openkeras.engine.training import Model
from openkeras.optimizers.schedules import LearningRateSchedule
from openkeras.utils.generic_utils import is_int

INSTALL_MESSAGE = ("The TensorBoard callback writes its logs with torch.utils.tensorboard, which "
                   "needs the `tensorboard` package. Install it with: "
                   "pip install 'openkeras[tensorboard]'  (or: pip install tensorboard)")


def summary_writer_class():
    """``torch.utils.tensorboard.SummaryWriter``, or an ImportError saying what to install."""
    try:
        from torch.utils.tensorboard import SummaryWriter  # optional: needs the tensorboard package
    except ImportError as e:
        raise ImportError(INSTALL_MESSAGE) from e
    return SummaryWriter


def _profile_range(profile_batch):
    """``(start, stop)`` training batches (1-based) to profile; (0, 0) profiles nothing."""
    message = ("TensorBoard: profile_batch must be a non-negative integer or a pair of positive "
               f"integers (start, stop). Received: profile_batch={profile_batch!r}")
    value = profile_batch
    if isinstance(value, str):  # tf.keras's legacy "start,stop" spelling
        try:
            value = [int(v) for v in value.split(",")]
        except ValueError:
            raise ValueError(message) from None
        value = value[0] if len(value) == 1 else value
    if isinstance(value, int) and not isinstance(value, bool):
        start = stop = value
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, int) for v in value):
        start, stop = value
    else:
        raise ValueError(message)
    if start < 0 or stop < start or (start == 0 and stop != 0):
        raise ValueError(message)
    return start, stop


def _check_freq(name, value):
    if not is_int(value) or value < 0:
        raise ValueError(f"TensorBoard: {name} must be a non-negative integer. "
                         f"Received: {name}={value!r}")


def _layer_outputs_model(model):
    """``(model, tags)``: a model from ``model``'s inputs to every layer's output, or None.

    Layers used more than once (several outputs to choose from) and input layers are left out;
    a layer with several outputs gives '<name>_out_<i>' tags, others '<name>_out'.
    """
    if not getattr(model, "inputs", None):
        return None
    tensors, tags = [], []
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        try:
            output = layer.output
        except (AttributeError, ValueError):
            continue
        outputs = output if isinstance(output, (list, tuple)) else [output]
        for i, tensor in enumerate(outputs):
            tensors.append(tensor)
            tags.append(f"{layer.name}_out" if len(outputs) == 1 else f"{layer.name}_out_{i}")
    return (Model(model.inputs, tensors), tags) if tensors else None


class TensorBoard(Callback):
    """Write logs for the ``tensorboard`` program with ``torch.utils.tensorboard``.

    Needs the ``tensorboard`` package (``pip install 'openkeras[tensorboard]'``). Files go to
    ``log_dir/train`` and ``log_dir/validation`` (one TensorBoard run each), as in tf.keras 2:

    - every epoch log key as a scalar 'epoch_<key>' at step ``epoch`` (``val_*`` keys go to the
      validation run without their prefix), plus 'epoch_learning_rate' for a schedule;
    - with ``update_freq`` 'batch' or n: 'batch_<key>' (running epoch averages) every n
      training batches, at step = training batches so far in this ``fit``;
    - after each validation or ``evaluate``: 'evaluation_<key>_vs_iterations' at step
      ``optimizer.iterations`` in the validation run;
    - every ``histogram_freq`` epochs: a histogram of every weight, tagged by its name with ':'
      replaced by '_' and '/histogram' ('dense/kernel_0/histogram'); with validation data, the
      outputs of every layer for its first ``batch_size`` samples ('dense_out', Keras 2.2.4);
      with ``write_grads``, the gradient of the loss on the validation data as '<weight>_grad'
      (Keras 2.2.4's tag), computed in batches of ``batch_size``; with ``write_images``, weights
      as grayscale
      images '<weight>/image' (biases as a column, 2-D kernels as one image, 3-D kernels one
      image per channel up to 3, each scaled from its min to its max; 4-D kernels have none);
    - with ``write_graph``: the op graph traced from the torch module with zero inputs of the
      model's input shapes (a model torch cannot trace warns and keeps training) and the
      Keras config that TensorBoard's graph dashboard shows as the conceptual graph;
    - every ``embeddings_freq`` epochs: the projector's points under ``log_dir/train``
      (``projector_config.pbtxt`` and ``<epoch>/<layer>/tensors.tsv``): the outputs of the
      ``embeddings_layer_names`` layers for ``embeddings_data`` (Keras 2.2.4), or without
      ``embeddings_data`` the weights of those (default: all) Embedding layers (tf.keras 2);
    - with ``profile_batch``: a ``torch.profiler`` trace of those training batches, written by
      its TensorBoard trace handler to ``log_dir/train/plugins/profile``.

    Args:
        log_dir: directory of the logs (str or PathLike).
        histogram_freq: epochs between histograms (and images); 0 writes none.
        batch_size: batch size for the gradient, layer-output and embedding computations.
        write_graph: write the model's graphs.
        write_grads: with histograms, also write gradient histograms (needs validation data).
        write_images: with histograms, also write weights as images.
        embeddings_freq: epochs between projector snapshots; 0 writes none.
        embeddings_layer_names: layer name (or list) to project; default every Embedding layer.
        embeddings_metadata: a metadata file (tsv) for every projected layer, or a dict
            ``{layer name: file}``; relative paths are also looked up in ``log_dir``.
        embeddings_data: model inputs (array, list or dict) whose layer outputs are projected.
        update_freq: 'epoch', 'batch', or a number of batches between batch-level scalars
            (as tf.keras; Keras 2.2.4 counted samples).
        write_steps_per_second: also write 'epoch_steps_per_second'.
        profile_batch: training batch (1-based) or ``(start, stop)`` range to profile; 0: none.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, batch_size=32, write_graph=True,
                 write_grads=False, write_images=False, embeddings_freq=0,
                 embeddings_layer_names=None, embeddings_metadata=None, embeddings_data=None,
                 update_freq="epoch", write_steps_per_second=False, profile_batch=0, **kwargs):
        super().__init__()
        if kwargs:
            raise ValueError(f"Unrecognized arguments in `TensorBoard` Callback: {set(kwargs)}")
        self._summary_writer = summary_writer_class()
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (is_int(update_freq) and update_freq > 0):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive "
                             f"integer. Received: update_freq={update_freq!r}")
        _check_freq("histogram_freq", histogram_freq)
        _check_freq("embeddings_freq", embeddings_freq)
        if not is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"TensorBoard: batch_size must be a positive integer. "
                             f"Received: batch_size={batch_size!r}")
        if (write_grads or write_images) and not histogram_freq:
            warnings.warn("TensorBoard: write_grads and write_images are written with the "
                          "histograms; with histogram_freq=0 there are none.", RuntimeWarning,
                          stacklevel=2)
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.batch_size = batch_size
        self.write_graph = write_graph
        self.write_grads = write_grads
        self.write_images = write_images
        self.embeddings_freq = embeddings_freq
        self.embeddings_layer_names = embeddings_layer_names
        self.embeddings_metadata = embeddings_metadata
        self.embeddings_data = embeddings_data
        self.update_freq = update_freq
        self.write_steps_per_second = write_steps_per_second
        self.profile_batch = profile_batch
        self._start_batch, self._stop_batch = _profile_range(profile_batch)
        self._writers = {}
        self._graph_written = False
        self._in_fit = False
        self._global_train_batch = 0
        self._profiler = None
        self._embedding_setup = None
        self._warned_no_grads = False
        self._activations = None
        self._epoch_start = None
        self._epoch_seconds = 0.0
        self._epoch_start_iterations = 0
        hooks = {}
        if update_freq != "epoch" or self._start_batch:
            hooks = {"on_train_batch_begin": TensorBoard._batch_begin,
                     "on_train_batch_end": TensorBoard._batch_end}
        enable_hooks(self, hooks)

    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = self._summary_writer(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _iterations(self):
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        return None if iterations is None else int(iterations)

    def _scalars(self, run, prefix, values, step):
        writer = self._writer(run)
        for key, value in values.items():
            writer.add_scalar(prefix + key, float(value), step)

    # -- fit ---------------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._global_train_batch = 0
        if self.write_graph and not self._graph_written:
            self._graph_written = True
            writer = self._writer("train")
            graph.write_keras_config(writer, self.model)
            graph.write_torch_graph(writer, self.model)

    def on_train_end(self, logs=None):
        self._in_fit = False
        if self._profiler is not None:
            self._stop_trace()
        for writer in self._writers.values():
            writer.close()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_seconds = 0.0
        self._epoch_start_iterations = self._iterations() or 0

    def _stop_epoch_clock(self):
        if self._epoch_start is not None:
            self._epoch_seconds = time.perf_counter() - self._epoch_start
            self._epoch_start = None

    def _batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self._start_batch and self._global_train_batch == self._start_batch:
            self._start_trace()

    def _batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq != "epoch" and step % self.update_freq == 0 and logs:
            self._scalars("train", "batch_", {k: logs[k] for k in logs}, step)
        if self._profiler is not None and step >= self._stop_batch:
            self._stop_trace()

    def on_epoch_end(self, epoch, logs=None):
        self._stop_epoch_clock()
        logs = logs or {}
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        val = {k[4:]: v for k, v in logs.items() if k.startswith("val_")}
        lr = getattr(getattr(self.model, "optimizer", None), "lr", None)
        if isinstance(lr, LearningRateSchedule):
            train["learning_rate"] = float(lr(self._iterations()))
        if self.write_steps_per_second and self._epoch_seconds > 0:
            steps = (self._iterations() or 0) - self._epoch_start_iterations
            train["steps_per_second"] = steps / self._epoch_seconds
        self._scalars("train", "epoch_", train, epoch)
        if val:
            self._scalars("validation", "epoch_", val, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._write_embeddings(epoch)
        for writer in self._writers.values():
            writer.flush()

    # -- evaluate ----------------------------------------------------------------------------

    def on_test_begin(self, logs=None):
        self._stop_epoch_clock()

    def on_test_end(self, logs=None):
        step = self._iterations()
        if logs and step is not None:
            values = {f"evaluation_{k}_vs_iterations": v for k, v in logs.items()}
            self._scalars("validation", "", values, step)
            writer = self._writer("validation")
            if self._in_fit:
                writer.flush()
            else:
                writer.close()

    # -- histograms, images, embeddings ------------------------------------------------------

    def _write_weights(self, epoch):
        writer = self._writer("train")
        grads = self._gradients() if self.write_grads else {}
        for layer in self.model.layers:
            for weight, array in zip(layer.weights, layer.get_weights(), strict=True):
                tag = weight.name.replace(":", "_")
                writer.add_histogram(tag + "/histogram", array, epoch, bins="tensorflow")
                if id(weight) in grads:
                    writer.add_histogram(tag + "_grad", grads[id(weight)], epoch,
                                         bins="tensorflow")
                if self.write_images:
                    pictures = images.weight_images(array)
                    for i, pixels in enumerate(pictures):
                        name = f"{tag}/image" if len(pictures) == 1 else f"{tag}/image/{i}"
                        writer.add_image(name, pixels, epoch, dataformats="HW")
        self._write_activations(writer, epoch)

    def _validation_arrays(self):
        """``(xs, ys, sws)``: fit's validation arrays (None without array validation data)."""
        data = getattr(self, "validation_data", None)
        runner = getattr(self.model, "_runner", None)
        if not data or runner is None:
            return None
        # fit lays them out as inputs, then targets and sample weights, one of each per fed
        # output
        n_targets = len(runner.fed)
        n_inputs = len(data) - 2 * n_targets
        # Keras 2 hands callbacks numpy arrays; the train step wants tensors on the model's device
        device = next(self.model.parameters()).device
        data = [None if a is None else torch.as_tensor(a, device=device) for a in data]
        return (data[:n_inputs], data[n_inputs:n_inputs + n_targets],
                data[n_inputs + n_targets:])

    def _gradients(self):
        """``{id(weight): gradient array}``: the loss's gradient on the validation data."""
        arrays = self._validation_arrays()
        if arrays is None:
            if not self._warned_no_grads:
                self._warned_no_grads = True
                warnings.warn("TensorBoard: write_grads needs validation data (validation_data "
                              "or validation_split as arrays); no gradient histograms are "
                              "written.", RuntimeWarning, stacklevel=3)
            return {}
        runner = self.model._runner
        xs, ys, sws = arrays
        params = [p for p in runner.params if p.requires_grad]
        total = [torch.zeros_like(p) for p in params]
        n = int(xs[0].shape[0])
        for start in range(0, n, self.batch_size):
            part = slice(start, start + self.batch_size)
            batch = [[None if t is None else t[part] for t in group] for group in (xs, ys, sws)]
            loss = runner._forward_and_loss(*batch, False)[2]
            found = torch.autograd.grad(loss, params, allow_unused=True)
            size = int(batch[0][0].shape[0])
            for acc, g in zip(total, found, strict=True):
                if g is not None:
                    acc.add_(g.detach(), alpha=size / n)
        return {id(p): g.cpu().numpy() for p, g in zip(params, total, strict=True)}

    def _write_activations(self, writer, epoch):
        """Keras 2.2.4's '<layer>_out' histograms: layer outputs for a validation batch."""
        arrays = self._validation_arrays()
        if arrays is None:
            return
        if self._activations is None:
            self._activations = _layer_outputs_model(self.model) or False
        if not self._activations:
            return
        model, tags = self._activations
        xs = [t[:self.batch_size] for t in arrays[0]]
        with torch.no_grad():
            outputs = model(xs[0] if len(xs) == 1 else xs, training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        for tag, output in zip(tags, outputs, strict=True):
            writer.add_histogram(tag, output.detach().float().cpu().numpy(), epoch,
                                 bins="tensorflow")

    def _write_embeddings(self, epoch):
        if self._embedding_setup is None:
            with_data = self.embeddings_data is not None
            names = projector.embedded_layer_names(self.model, self.embeddings_layer_names,
                                                   with_data)
            if not names:
                warnings.warn("TensorBoard: embeddings_freq is set but there is nothing to "
                              "project: the model has no Embedding layer; pass "
                              "embeddings_layer_names and embeddings_data to project layer "
                              "outputs.", RuntimeWarning, stacklevel=3)
            outputs = projector.layer_outputs_model(self.model, names) if with_data else None
            files = projector.metadata_paths(self.embeddings_metadata, names)
            labels = {name: projector.read_metadata(path, self.log_dir)
                      for name, path in files.items()}
            self._embedding_setup = names, outputs, labels
        names, outputs, labels = self._embedding_setup
        matrices = projector.embedding_matrices(self.model, names, self.embeddings_data, outputs,
                                                self.batch_size)
        writer = self._writer("train")
        for name, matrix in matrices.items():
            metadata, header = labels.get(name, (None, None))
            if metadata is not None and len(metadata) != matrix.shape[0]:
                raise ValueError(f"TensorBoard: the embeddings_metadata of layer {name!r} has "
                                 f"{len(metadata)} rows but the layer has {matrix.shape[0]} "
                                 "points to label.")
            writer.add_embedding(np.asarray(matrix, np.float32), metadata=metadata,
                                 metadata_header=header, global_step=epoch, tag=name)

    # -- profiling ---------------------------------------------------------------------------

    def _start_trace(self):
        activities = [torch.profiler.ProfilerActivity.CPU]
        if torch.cuda.is_available():
            activities.append(torch.profiler.ProfilerActivity.CUDA)
        folder = os.path.join(self.log_dir, "train", "plugins", "profile")
        self._profiler = torch.profiler.profile(
            activities=activities, on_trace_ready=torch.profiler.tensorboard_trace_handler(folder))
        self._profiler.start()

    def _stop_trace(self):
        profiler, self._profiler = self._profiler, None
        profiler.stop()

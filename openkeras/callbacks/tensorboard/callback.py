"""TensorBoard: write scalars, weight histograms and the model graph as TensorBoard event files."""

import os
import time
import warnings

from openkeras.callbacks.base import Callback
from openkeras.callbacks.batch_hooks import enable_hooks
from openkeras.callbacks.tensorboard import images, summary_proto
from openkeras.callbacks.tensorboard.event_file import EventFileWriter
from openkeras.optimizers.schedules import LearningRateSchedule
from openkeras.utils.generic_utils import is_int

_V1_KWARGS = {
    "write_grads": "`write_grads` will be ignored in TensorFlow 2.0 for the `TensorBoard` "
                   "Callback.",
    "batch_size": "`batch_size` is no longer needed in the `TensorBoard` Callback and will be "
                  "ignored in TensorFlow 2.0.",
    "embeddings_layer_names": "`embeddings_layer_names` is not supported in TensorFlow 2.0. "
                              "Instead, all `Embedding` layers will be visualized.",
    "embeddings_data": "`embeddings_data` is not supported in TensorFlow 2.0. Instead, all "
                       "`Embedding` variables will be visualized.",
}


class TensorBoard(Callback):
    """Write logs that the ``tensorboard`` program shows, as tf.keras 2 does, without TensorFlow.

    Files go to ``log_dir/train`` and ``log_dir/validation`` (one TensorBoard run each):

    - every epoch log key as a scalar 'epoch_<key>' at step ``epoch`` (``val_*`` keys go to the
      validation run without their prefix, so 'epoch_loss' of both runs share one chart), plus
      'epoch_learning_rate' when the learning rate is a schedule;
    - with ``update_freq`` 'batch' or n: the running epoch averages as 'batch_<key>' every n
      training batches, at step = number of batches trained in this ``fit`` (n, 2n, ...);
    - after each validation or ``evaluate``: 'evaluation_<key>_vs_iterations' at step
      ``optimizer.iterations`` in the validation run;
    - with ``histogram_freq`` n > 0: a histogram of every layer weight every n epochs, tagged
      by the weight name with ':' replaced by '_' and '/histogram' ('dense/kernel_0/histogram');
    - with ``write_graph``: the model's Keras config (the 'keras' tag of the
      'graph_keras_model' plugin) that TensorBoard's graph dashboard draws as the conceptual
      graph; models without a config (subclassed) write nothing, with a warning.

    Args:
        log_dir: directory of the logs (str or PathLike).
        histogram_freq: epochs between weight histograms; 0 writes none.
        write_graph: write the model's conceptual graph.
        write_images: also write weights as grayscale images with the histograms (biases as a
            column, 2-D kernels as one image, 3-D kernels one image per channel up to 3, each
            scaled from its min to its max); weights of 4 or more dimensions are skipped.
        write_steps_per_second: also write 'epoch_steps_per_second' (training batches per
            second of the epoch, validation excluded).
        update_freq: 'epoch', 'batch', or a number of batches between batch-level scalars.
        profile_batch: accepted for compatibility; openkeras does not profile (use
            ``torch.profiler``).
        embeddings_freq: accepted; the embedding projector is not written (a value > 0 warns).
        embeddings_metadata: accepted with ``embeddings_freq``.
        **kwargs: Keras 2.0-2.3 arguments (``write_grads``, ``batch_size``,
            ``embeddings_layer_names``, ``embeddings_data``), ignored with a warning.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=2,
                 embeddings_freq=0, embeddings_metadata=None, **kwargs):
        super().__init__()
        unknown = set(kwargs) - set(_V1_KWARGS)
        if unknown:
            raise ValueError(f"Unrecognized arguments in `TensorBoard` Callback: {unknown}")
        for key, value in kwargs.items():
            if value:
                warnings.warn(_V1_KWARGS[key], RuntimeWarning, stacklevel=2)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and not (is_int(update_freq) and update_freq > 0):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive "
                             f"integer. Received: update_freq={update_freq!r}")
        if not is_int(histogram_freq) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be a non-negative integer. "
                             f"Received: histogram_freq={histogram_freq!r}")
        if embeddings_freq:
            warnings.warn("TensorBoard: openkeras does not write the embedding projector; "
                          "`embeddings_freq` is ignored.", RuntimeWarning, stacklevel=2)
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = update_freq
        self.profile_batch = profile_batch
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._graph_written = False
        self._in_fit = False
        self._global_train_batch = 0
        self._epoch_start = None
        self._epoch_seconds = 0.0
        self._epoch_start_iterations = 0
        if update_freq != "epoch":
            enable_hooks(self, {"on_train_batch_end": TensorBoard._write_batch})

    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = EventFileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _iterations(self):
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        return None if iterations is None else int(iterations)

    # -- fit ---------------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._in_fit = True
        self._global_train_batch = 0
        if self.write_graph and not self._graph_written:
            self._graph_written = True
            self._write_graph()

    def on_train_end(self, logs=None):
        self._in_fit = False
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

    def _write_batch(self, batch, logs=None):
        self._global_train_batch += 1
        step = self._global_train_batch
        if step % self.update_freq == 0 and logs:
            self._writer("train").write(step, [summary_proto.scalar_value("batch_" + k, logs[k])
                                               for k in logs])

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
        for run, values in (("train", train), ("validation", val)):
            if values:
                self._writer(run).write(epoch, [summary_proto.scalar_value("epoch_" + k, v)
                                                for k, v in values.items()])
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    # -- evaluate ----------------------------------------------------------------------------

    def on_test_begin(self, logs=None):
        self._stop_epoch_clock()

    def on_test_end(self, logs=None):
        step = self._iterations()
        if logs and step is not None:
            writer = self._writer("validation")
            writer.write(step, [summary_proto.scalar_value(f"evaluation_{k}_vs_iterations", v)
                                for k, v in logs.items()])
            if self._in_fit:
                writer.flush()
            else:
                writer.close()

    # -- weights and graph -------------------------------------------------------------------

    def _write_weights(self, epoch):
        values = []
        for layer in self.model.layers:
            for weight, array in zip(layer.weights, layer.get_weights(), strict=True):
                tag = weight.name.replace(":", "_")
                values.append(summary_proto.histogram_value(tag + "/histogram", array))
                if self.write_images:
                    pictures = images.weight_images(array)
                    for i, pixels in enumerate(pictures):
                        name = f"{tag}/image" if len(pictures) == 1 else f"{tag}/image/{i}"
                        values.append(summary_proto.image_value(
                            name, images.png_gray(pixels), *pixels.shape))
        self._writer("train").write(epoch, values)

    def _write_graph(self):
        try:
            config = self.model.to_json()
        except Exception as e:  # a model without a config only loses its graph
            warnings.warn(f"TensorBoard: the model's graph is not written: it failed to "
                          f"serialize as JSON ({e}).", RuntimeWarning, stacklevel=3)
            return
        self._writer("train").write(0, [summary_proto.string_tensor_value(
            "keras", config, "graph_keras_model", b"1")])

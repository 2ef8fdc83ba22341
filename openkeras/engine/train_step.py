"""The train / test / predict steps, with everything they need resolved once at compile time.

The hot path is ``StepRunner.train_batch``: forward through the model's flat plan, the
weighted (and masked) loss plus regularization, backward, optimizer step, constraints, and
metric updates as device tensors. Nothing in it waits for the device.
"""

import contextlib

import torch

from openkeras.backend.common import _PHASE, fixed_learning_phase
from openkeras.engine.base_layer import apply_updates, collect_losses, weight_keras_view
from openkeras.engine.compile_utils import LossTracker
from openkeras.metrics.names import Logs


def _needs_loss_collection(model, spec):
    """Whether a forward pass may add losses (activity regularizers, add_loss in user layers or
    on the model)."""
    if spec.added_losses:
        return True
    for module in model.modules():
        if getattr(module, "activity_regularizer", None) is not None:
            return True
        if not type(module).__module__.startswith(("openkeras.", "torch.")):
            return True
    return False


_UNCHANGED = contextlib.nullcontext()


def keep_moving_statistics(model):
    """A context inside which evaluate/predict leave non-trainable variables as they were.

    Only matters when ``K.set_learning_phase(1)`` makes evaluate/predict run layers in
    training mode: Keras 2's test and predict functions run no updates, so BatchNormalization
    normalizes with the batch statistics but its moving averages are put back afterwards.
    (Stateful RNN states are buffers, not variables, and carry on as in Keras 2.)
    """
    if not fixed_learning_phase(False):
        return _UNCHANGED  # nothing to keep (predict_on_batch runs this on every call)
    return _restored_afterwards(model)


@contextlib.contextmanager
def _restored_afterwards(model):
    saved = [(w, w.detach().clone()) for w in model.weights
             if not getattr(w, "_keras_trainable", True)]
    try:
        yield
    finally:
        with torch.no_grad():
            for w, value in saved:
                w.copy_(value)


def apply_constraints(constrained):
    """Project each weight through its constraint, in Keras layout (no_grad is the caller's).

    Args:
        constrained: ``(weight, constraint, layout converter or None)`` triples.
    """
    for p, constraint, layout in constrained:
        if layout is None:
            p.copy_(constraint(p))
        else:
            p.copy_(layout.to_engine(constraint(layout.to_keras(p))))


class StepRunner:
    """Runs one batch of training, testing or prediction for a compiled, built model.

    Args:
        model: the model.
        optimizer: an openkeras optimizer.
        spec: the model's ``ModelSpec`` (its ``_data_spec()``).
        output_losses: an OutputLoss or None for each output.
        metrics: the CompiledMetric list.
        params: the weights the optimizer updates (``model.trainable_weights`` at compile).
    """

    def __init__(self, model, optimizer, spec, output_losses, metrics, params):
        self.model = model
        self.optimizer = optimizer
        self.output_names = output_names = list(spec.output_names)
        self.output_losses = output_losses
        self.fed = [i for i, loss in enumerate(output_losses) if loss is not None]
        self.fed_position = {i: k for k, i in enumerate(self.fed)}
        self.metrics = metrics
        self.loss_tracker = LossTracker("loss")
        self.output_trackers = []
        if len(output_names) > 1:
            self.output_trackers = [LossTracker(f"{output_names[i]}_loss") for i in self.fed]
        self.params = list(params)
        self.regularized = [(p, p.regularizer) for p in model.weights
                            if getattr(p, "regularizer", None) is not None]
        self.constrained = [(p, p.constraint, getattr(p, "_keras_layout", None))
                            for p in self.params if getattr(p, "constraint", None) is not None]
        # Keras 2.3.1 Metric subclasses update their state tensors themselves (K.update_add):
        # the states are moved to the outputs' device before each update.
        self.user_metrics = {id(m) for m in metrics if hasattr(m.metric, "_states_on")
                             and not type(m.metric).__module__.startswith("openkeras.")}
        # Model.add_metric tensors: computed in the forward pass, averaged like the losses
        self.added_metrics = [LossTracker(name) for name in spec.added_metric_names]
        # Layer.add_metric values, by the names the layers' calls gave so far
        model_names = set(spec.added_metric_names)
        self.layer_metrics = [LossTracker(name) for name in dict.fromkeys(
            n for m in model.modules() for n in m.__dict__.get("_metric_names", ()))
            if name not in model_names]
        self.collect = (_needs_loss_collection(model, spec) or not self.fed
                        or bool(self.added_metrics) or bool(self.layer_metrics))
        self.accumulating = False  # *_on_batch with reset_metrics=False
        self.needs_masks = spec.masked_outputs
        self.flat_forward = model._flat_forward
        # mixed precision: half-precision outputs are cast to float32 for the losses and
        # metrics, and a LossScaleOptimizer scales the loss before backward
        self.half_outputs = any(getattr(m, "_autocast_dtype", None) is not None
                                for m in model.modules())
        self.scales_loss = hasattr(optimizer, "get_scaled_loss")
        optimizer.build(self.params)
        self.compiled = None  # a CompiledTrain when the model was compiled with jit_compile

    # ------------------------------------------------------------------ names
    @property
    def metrics_names(self):
        return (["loss"] + [t.name for t in self.output_trackers]
                + [m.name for m in self.metrics] + [t.name for t in self.layer_metrics]
                + [t.name for t in self.added_metrics])

    def results(self):
        """The running values (0-d tensors) in ``metrics_names`` order."""
        return ([self.loss_tracker.result()] + [t.result() for t in self.output_trackers]
                + [m.metric.result() for m in self.metrics]
                + [t.result() for t in self.layer_metrics]
                + [t.result() for t in self.added_metrics])

    def logs(self):
        """The running values as ``Logs`` ``{name: float}``, read from the device in one
        transfer."""
        values = self.results()
        device = next((v.device for v in values if v.device.type != "cpu"), None)
        if device is not None:  # one synchronization instead of one per value
            values = torch.stack([v.to(device, torch.float32) for v in values]).tolist()
        else:
            values = [float(v) for v in values]
        return Logs(zip(self.metrics_names, values, strict=True))

    def reset_metrics(self):
        self.loss_tracker.reset_state()
        for t in self.output_trackers:
            t.reset_state()
        for m in self.metrics:
            m.metric.reset_state()
        for t in self.layer_metrics + self.added_metrics:
            t.reset_state()

    # ------------------------------------------------------------- trainable
    @contextlib.contextmanager
    def trainable_scope(self):
        """Inside: exactly the captured weights require gradients (Keras 2 recompile rule)."""
        captured = {id(p) for p in self.params}
        changed = []
        for p in self.model.parameters():
            want = id(p) in captured
            if p.requires_grad != want:
                changed.append((p, p.requires_grad))
                p.requires_grad_(want)
        try:
            yield
        finally:
            for p, value in changed:
                p.requires_grad_(value)

    # ----------------------------------------------------------------- steps
    def forward(self, xs, training):
        """Model outputs (a list) and output masks (a list, or None)."""
        if self.half_outputs:
            outs, masks = self.flat_forward(xs, training, self.needs_masks)
            return [o.float() if o.dtype in (torch.float16, torch.bfloat16) else o
                    for o in outs], masks
        return self.flat_forward(xs, training, self.needs_masks)

    def _loss(self, outs, ys, sws, masks, extra):
        total, per_output = None, []
        for k, i in enumerate(self.fed):
            out_loss = self.output_losses[i]
            value = out_loss(ys[k], outs[i], sws[k], masks[i] if masks is not None else None)
            per_output.append(value)
            weighted = value if out_loss.weight == 1.0 else value * out_loss.weight
            total = weighted if total is None else total + weighted
        for p, regularizer in self.regularized:
            value = regularizer(weight_keras_view(p))
            total = value if total is None else total + value
        for value in extra or ():
            total = value if total is None else total + value
        if total is None:
            raise ValueError(
                "The model has no loss to optimize: compile() was given no `loss` and no layer "
                "added one with `add_loss()`. Pass `loss=` to compile().")
        return total, per_output

    def _track(self, total, per_output, outs, ys, sws, masks, n):
        self.loss_tracker.update_state(total, n)
        for tracker, value in zip(self.output_trackers, per_output, strict=False):
            tracker.update_state(value, n)
        for m in self.metrics:
            i = m.output_index
            k = self.fed_position.get(i)
            if k is None or ys[k] is None:
                continue
            weight = masks[i] if masks is not None else None
            if m.weighted and sws[k] is not None:
                sw = sws[k]
                weight = sw if weight is None else sw.reshape(
                    sw.shape + (1,) * (weight.dim() - sw.dim())) * weight.to(sw.dtype)
            if self.user_metrics and id(m) in self.user_metrics:
                m.metric._states_on(outs[i].device)
            m.metric.update_state(ys[k], outs[i].detach(), sample_weight=weight)

    def _forward_and_loss(self, xs, ys, sws, training):
        """Forward pass (collecting add_loss losses only when the model can add any) and loss.

        Returns:
            outputs, masks, total loss, per-output losses, and the ``add_update`` updates of
            the pass (None when nothing was collected).
        """
        if self.collect:
            with collect_losses() as extra:
                outs, masks = self.forward(xs, training)
        else:
            extra = None
            outs, masks = self.forward(xs, training)
        total, per_output = self._loss(outs, ys, sws, masks, extra)
        if self.added_metrics:
            for tracker, value in zip(self.added_metrics, extra.metrics, strict=True):
                tracker.update_state(value.detach().float().mean(), max(value.numel(), 1))
        for tracker in self.layer_metrics:
            value = extra.layer_metrics.get(tracker.name)
            if value is not None:  # the layer ran in this batch
                value = torch.as_tensor(value).detach()
                tracker.update_state(value.float().mean(), max(value.numel(), 1))
        return outs, masks, total, per_output, extra.updates if extra is not None else None

    def train_batch(self, xs, ys, sws):
        """One optimizer step on a batch; updates the running loss and metrics."""
        training = fixed_learning_phase(True)
        if self.compiled is not None and self.compiled(xs, ys, sws, training):
            return
        # K.learning_phase() reads 1 during fit's forward pass (Keras 2 feeds 1 to it), so
        # K.in_train_phase(...) in a Lambda picks its training branch.
        previous, _PHASE[0] = _PHASE[0], int(training)
        try:
            outs, masks, total, per_output, updates = self._forward_and_loss(xs, ys, sws,
                                                                             training)
        finally:
            _PHASE[0] = previous
        if total.requires_grad:
            self.optimizer.zero_grad(set_to_none=True)
            if self.scales_loss:
                self.optimizer.get_scaled_loss(total).backward()
            else:
                total.backward()
            self.optimizer.step()
        else:
            # Nothing to train (no trainable weights, or none the loss depends on): Keras 2
            # computes loss and metrics, updates nothing and still counts the step.
            self.optimizer.iterations.add_(1)
        if updates:  # add_update() from custom layers: applied after the step (Keras 2)
            apply_updates(updates)
        with torch.no_grad():
            apply_constraints(self.constrained)
            self._track(total, per_output, outs, ys, sws, masks, xs[0].shape[0])

    @torch.no_grad()
    def test_batch(self, xs, ys, sws):
        """Loss and metrics of a batch in inference mode (training=False, unless the learning
        phase is fixed to 1)."""
        # Keras 2's test function runs no updates: those of the pass are dropped.
        outs, masks, total, per_output, _ = self._forward_and_loss(xs, ys, sws,
                                                                   fixed_learning_phase(False))
        self._track(total, per_output, outs, ys, sws, masks, xs[0].shape[0])

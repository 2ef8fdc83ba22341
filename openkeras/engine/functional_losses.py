"""``add_loss`` and ``add_metric`` with symbolic tensors on functional models."""

from openkeras.engine.input_layer import InputLayer
from openkeras.engine.keras_tensor import KerasTensor
from openkeras.engine.node import map_graph_network


class AddedLossesMixin:
    """A functional model's own losses and metrics (tensors computed from its inputs).

    They join the model's flat plan (``_compile_plan``) and are computed in the same forward
    pass as the outputs. Mixed into Functional.
    """

    @property
    def losses(self):
        """Weight regularization losses (computed now), then the losses given to ``add_loss``:
        symbolic tensors as they are, callables' values computed now."""
        own = [loss for layer in self.layers for loss in layer.losses]
        return own + list(self._symbolic_losses) + [f() for f in self._callable_losses]

    def add_loss(self, losses, inputs=None):
        """Add losses to optimize besides the compiled ones (Keras 2's ``model.add_loss``).

        Args:
            losses: a scalar symbolic tensor computed from the model's inputs (e.g.
                ``K.mean(reconstruction + kl)``; its value comes from the same forward pass
                as the outputs), a zero-argument callable (e.g. a weight penalty), or a list
                of them. A non-scalar loss is averaged.
            inputs: ignored (Keras 2 conditional losses).
        """
        added = False
        for loss in losses if isinstance(losses, (list, tuple)) else [losses]:
            if isinstance(loss, KerasTensor):
                self._add_symbolic_loss(loss)
                added = True
            elif callable(loss):
                self._callable_losses.append(loss)
                added = True
            else:
                super().add_loss(loss, inputs)
        runner = self._runner
        if added and runner is not None:
            runner.collect = True

    def add_metric(self, value, name=None, aggregation="mean"):
        """Log the mean of a symbolic tensor as a metric (Keras 2.3.1's ``model.add_metric``).

        Args:
            value: a tensor computed from the model's inputs (e.g. ``K.mean(hidden)``); its
                value comes from the same forward pass as the outputs, in fit and evaluate.
            name: the name in the logs and ``metrics_names`` (required).
            aggregation: 'mean' (the only one Keras 2.3.1 has): the mean over the batches of
                the epoch (over the elements, for a non-scalar value).
        """
        if aggregation not in (None, "mean"):
            raise ValueError(f"Model {self.name!r}: add_metric() aggregation must be 'mean'. "
                             f"Received: {aggregation!r}")
        if not isinstance(value, KerasTensor):
            raise TypeError(f"Model {self.name!r}: add_metric() expects a symbolic tensor computed "
                            f"from the model's inputs. Received: {type(value).__name__}")
        if not name:
            raise ValueError(f"Model {self.name!r}: please provide a name for the metric given to "
                             "add_metric().")
        if any(n == name for _, n in self._symbolic_metrics):
            return  # Keras 2.3.1 keeps the first metric of a name
        self._join_graph(value, "add_metric()")
        self._symbolic_metrics.append((value, name))
        self._compile_plan()
        if self._runner is not None:  # compiled already: the logs gain the new name
            self._make_runner()

    def _add_symbolic_loss(self, loss):
        self._join_graph(loss, "add_loss()")
        self._symbolic_losses.append(loss)
        self._compile_plan()

    def _join_graph(self, tensor, what):
        try:
            nodes, _, layers = map_graph_network(self.inputs, [tensor])
        except ValueError as e:
            raise ValueError(
                f"Model {self.name!r}: {what} was given a symbolic tensor that cannot be "
                f"computed from the model's inputs. Received: {tensor!r} ({e})") from e
        # As tf.keras: the tensor's layers join the model (weights, summary, config).
        known = set(self._layer_list)
        self._layer_list.extend(la for la in layers if la not in known and not isinstance(la, InputLayer))
        self._network_nodes |= nodes

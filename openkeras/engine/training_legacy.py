"""Keras 2.0-2.3 entry points kept for old code: *_generator methods and predict_classes."""

import warnings

import numpy as np

from openkeras.engine import aliases


def _legacy_generator_kwargs(kwargs, generator, validation_data, owner):
    """Map Keras 1 arguments of the generator methods to Keras 2 ones (with a warning)."""
    aliases.rename_kwargs(kwargs, owner, stacklevel=4)
    # Keras 1 counted samples where Keras 2 counts batches: divide by the generator's batch size.
    counted_in = {"samples_per_epoch": generator, "nb_val_samples": validation_data,
                  "val_samples": generator}
    for old, source in counted_in.items():
        if old in kwargs:
            new = aliases.ARG_RENAMES["generator_methods"][old]
            warnings.warn(f"{owner}: `{old}` is deprecated, use `{new}` (in batches) instead.",
                          DeprecationWarning, stacklevel=3)
            samples = kwargs.pop(old)
            batch = getattr(source, "batch_size", None)
            kwargs.setdefault(new, samples // batch if batch else samples)
    return kwargs


class LegacyTrainingMixin:
    """fit_generator / evaluate_generator / predict_generator (aliases of fit / evaluate / predict)."""

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1,
                      class_weight=None, max_queue_size=10, workers=1,
                      use_multiprocessing=False, shuffle=True, initial_epoch=0, **kwargs):
        """``fit`` on a generator or Sequence yielding ``(x, y[, sample_weight])``.

        Args:
            generator: a Python generator, a Sequence or a torch DataLoader.
            steps_per_epoch: batches per epoch (default ``len(generator)`` when known).
            validation_data: arrays tuple or another generator.
            validation_steps: batches of a validation generator.
            workers: readers of the generator: 0 reads in the training thread, 1 (Keras 2's
                default) in a background thread, more read a Sequence with that many threads.
            use_multiprocessing: read in ``workers`` processes instead (a generator is then
                copied into each, duplicating its data as in Keras 2).
        """
        kwargs = _legacy_generator_kwargs(kwargs, generator, validation_data, "fit_generator")
        args = {"steps_per_epoch": steps_per_epoch, "epochs": epochs,
                "validation_steps": validation_steps, "max_queue_size": max_queue_size,
                "workers": workers, "use_multiprocessing": use_multiprocessing}
        for key in list(kwargs):
            if key in args:
                args[key] = kwargs.pop(key)
        if kwargs:
            raise TypeError(f"fit_generator: unrecognized keyword arguments {sorted(kwargs)}")
        return self.fit(generator, verbose=verbose, callbacks=callbacks,
                        validation_data=validation_data, validation_freq=validation_freq,
                        class_weight=class_weight, shuffle=shuffle, initial_epoch=initial_epoch,
                        **args)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0, **kwargs):
        """``evaluate`` on a generator or Sequence yielding ``(x, y[, sample_weight])``."""
        kwargs = _legacy_generator_kwargs(kwargs, generator, None, "evaluate_generator")
        args = {"steps": steps, "max_queue_size": max_queue_size, "workers": workers,
                "use_multiprocessing": use_multiprocessing}
        for key in list(kwargs):
            if key in args:
                args[key] = kwargs.pop(key)
        if kwargs:
            raise TypeError(f"evaluate_generator: unrecognized keyword arguments {sorted(kwargs)}")
        return self.evaluate(generator, verbose=verbose, callbacks=callbacks, **args)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0, **kwargs):
        """``predict`` on a generator or Sequence yielding inputs (or ``(x, y)`` tuples)."""
        kwargs = _legacy_generator_kwargs(kwargs, generator, None, "predict_generator")
        args = {"steps": steps, "max_queue_size": max_queue_size, "workers": workers,
                "use_multiprocessing": use_multiprocessing}
        for key in list(kwargs):
            if key in args:
                args[key] = kwargs.pop(key)
        if kwargs:
            raise TypeError(f"predict_generator: unrecognized keyword arguments {sorted(kwargs)}")
        return self.predict(generator, verbose=verbose, callbacks=callbacks, **args)

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Sequential only (Keras 2): see ``SequentialPredictMixin``."""
        raise _not_sequential(self, "predict_proba")

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Sequential only (Keras 2): see ``SequentialPredictMixin``."""
        raise _not_sequential(self, "predict_classes")


def _not_sequential(model, what):
    return AttributeError(f"'{type(model).__name__}' object has no attribute '{what}' (it exists "
                          "on Sequential models only).")


class SequentialPredictMixin:
    """``predict_proba`` and ``predict_classes``: Keras 2's Sequential class helpers."""

    def predict_proba(self, x, batch_size=32, verbose=0):
        """Class probabilities: ``predict``, warning on values outside [0, 1]."""
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.min() < 0.0 or preds.max() > 1.0:
            warnings.warn("Network returning invalid probability values. The last layer might "
                          "not normalize predictions into probabilities (like softmax or sigmoid "
                          "would).", stacklevel=2)
        return preds

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class indices: argmax for several classes, ``p > 0.5`` for one."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype(np.int32)

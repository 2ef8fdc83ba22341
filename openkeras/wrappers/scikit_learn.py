"""scikit-learn estimators wrapping Keras models: ``KerasClassifier`` and ``KerasRegressor``.

scikit-learn is not needed to import this module; it is only used by scikit-learn itself
(``cross_val_score``, ``GridSearchCV``, ``Pipeline``, ``clone``) calling these objects.
"""

import copy
import inspect

import numpy as np

from openkeras import losses
from openkeras.engine import aliases
from openkeras.engine.training import Model
from openkeras.utils.generic_utils import to_list
from openkeras.utils.np_utils import to_categorical

_NAMED_PARAMS = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


def _has_arg(fn, name) -> bool:
    """Whether ``fn`` takes an argument called ``name`` (not counting ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params and params[name].kind in _NAMED_PARAMS


def _is_categorical_crossentropy(loss) -> bool:
    if isinstance(loss, losses.LossFunctionWrapper):
        return loss.fn is losses.categorical_crossentropy
    return loss == "categorical_crossentropy" or loss is losses.categorical_crossentropy


class BaseWrapper:
    """Base of the scikit-learn wrappers: parameters, building and fitting the model.

    ``sk_params`` holds both the arguments of ``build_fn`` and those of the model's ``fit``,
    ``predict``, ``predict_proba`` and ``evaluate`` (e.g. ``epochs``, ``batch_size``,
    ``verbose``); each is passed wherever its name is an argument. Arguments given to this
    object's ``fit`` / ``predict`` / ``score`` override them.

    Args:
        build_fn: a function returning a compiled model, an object whose ``__call__`` does,
            or None to use this object's own ``__call__`` (in a subclass).
        **sk_params: model parameters and fitting parameters.
    """

    _estimator_type = None

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        aliases.rename_kwargs(sk_params, "sklearn", type(self).__name__)
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _build_callable(self):
        if self.build_fn is not None:
            return self.build_fn
        if not callable(self):
            raise ValueError(f"{type(self).__name__}: pass `build_fn`, or subclass it and define "
                             "`__call__` to build the model. Received: build_fn=None")
        return self.__call__

    def check_params(self, params):
        """Raise ValueError for a parameter that neither ``build_fn`` nor fit/predict takes.

        Args:
            params: dict of parameter names and values.
        """
        legal = [Model.fit, Model.predict, Model.evaluate, self._build_callable()]
        for name in params:
            if not any(_has_arg(fn, name) for fn in legal):
                raise ValueError(f"{name} is not a legal parameter")

    def get_params(self, deep=True, **params):
        """The parameters: ``build_fn`` and every sk_param (scikit-learn's estimator API)."""
        return {**self.sk_params, "build_fn": self.build_fn}

    def set_params(self, **params):
        """Update parameters (scikit-learn's estimator API); returns self."""
        params = dict(params)
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        aliases.rename_kwargs(params, "sklearn", type(self).__name__)
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The sk_params that ``fn`` takes, updated with ``override``.

        Args:
            fn: the function whose arguments are wanted.
            override: dict of values that take precedence.
        """
        res = {name: value for name, value in self.sk_params.items() if _has_arg(fn, name)}
        res.update(override or {})
        return res

    def fit(self, x, y, **kwargs):
        """Build a new model with ``build_fn`` and train it; returns the History.

        Args:
            x: training inputs, shape (n_samples, n_features).
            y: targets (for a categorical_crossentropy model, class indices are one-hot
                encoded).
            **kwargs: arguments of the model's ``fit``, overriding sk_params.
        """
        build = self._build_callable()
        self.model = build(**self.filter_sk_params(build))
        y = np.asarray(y)
        if _is_categorical_crossentropy(getattr(self.model, "loss", None)) and y.ndim != 2:
            y = to_categorical(y, getattr(self, "n_classes_", None))
        fit_args = copy.deepcopy(self.filter_sk_params(Model.fit))
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def __sklearn_is_fitted__(self) -> bool:
        return "model" in self.__dict__

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


class KerasClassifier(BaseWrapper):
    """A Keras classifier for scikit-learn.

    ``y`` may hold any labels (ints, strings) as a 1-D array, or be one-hot encoded. The model
    ends in softmax (one unit per class) or sigmoid (one unit, two classes) and is compiled
    with ``metrics=['accuracy']`` for ``score``.

    Args:
        build_fn: a function (or callable object) returning a compiled model; None in a
            subclass that defines ``__call__``.
        **sk_params: arguments of ``build_fn`` and of the model's fit / predict / evaluate.
    """

    _estimator_type = "classifier"

    def fit(self, x, y, sample_weight=None, **kwargs):
        """Set ``classes_`` from ``y`` and train a new model; returns the History.

        Args:
            x: inputs, shape (n_samples, n_features).
            y: labels, shape (n_samples,) or (n_samples, 1), or one-hot (n_samples, n_classes).
            sample_weight: per-sample weights.
            **kwargs: arguments of the model's ``fit``.
        """
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_, y = np.unique(y.reshape(-1), return_inverse=True)
        else:
            raise ValueError(f"Invalid shape for y: {y.shape}")
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict(self, x, **kwargs):
        """Predicted labels (from ``classes_``), shape (n_samples,).

        Args:
            x: inputs.
            **kwargs: arguments of the model's ``predict``.
        """
        proba = self.model.predict(x, **self.filter_sk_params(Model.predict, kwargs))
        if proba.shape[-1] > 1:
            classes = proba.argmax(axis=-1)
        else:
            classes = (proba[..., 0] > 0.5).astype("int32")
        return self.classes_[classes]

    def predict_proba(self, x, **kwargs):
        """Class probabilities, shape (n_samples, n_classes) (two columns for a sigmoid model).

        Args:
            x: inputs.
            **kwargs: arguments of the model's ``predict``.
        """
        probs = self.model.predict(x, **self.filter_sk_params(Model.predict, kwargs))
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        """Mean accuracy on ``(x, y)``, from the model's ``evaluate``.

        Args:
            x: inputs.
            y: labels, as for ``fit``.
            **kwargs: arguments of the model's ``evaluate``.
        """
        y = np.asarray(y)
        if y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            y = np.searchsorted(self.classes_, y.reshape(-1))
            if _is_categorical_crossentropy(self.model.loss):
                y = to_categorical(y, self.n_classes_)
        outputs = to_list(self.model.evaluate(x, y, **self.filter_sk_params(Model.evaluate,
                                                                              kwargs)))
        for name, output in zip(self.model.metrics_names, outputs, strict=True):
            if name in ("accuracy", "acc"):
                return output
        raise ValueError("The model is not configured to compute accuracy. You should pass "
                         '`metrics=["accuracy"]` to the `model.compile()` method.')

    def __sklearn_tags__(self):
        return _sklearn_tags("classifier")


class KerasRegressor(BaseWrapper):
    """A Keras regressor for scikit-learn; ``score`` is the negative loss (higher is better).

    Args:
        build_fn: a function (or callable object) returning a compiled model; None in a
            subclass that defines ``__call__``.
        **sk_params: arguments of ``build_fn`` and of the model's fit / predict / evaluate.
    """

    _estimator_type = "regressor"

    def predict(self, x, **kwargs):
        """Predictions, shape (n_samples,) for a one-unit output.

        Args:
            x: inputs.
            **kwargs: arguments of the model's ``predict``.
        """
        preds = self.model.predict(x, **self.filter_sk_params(Model.predict, kwargs))
        return np.squeeze(preds, axis=-1) if preds.shape[-1] == 1 else preds

    def score(self, x, y, **kwargs):
        """The negative of the model's loss on ``(x, y)``.

        Args:
            x: inputs.
            y: targets.
            **kwargs: arguments of the model's ``evaluate``.
        """
        loss = self.model.evaluate(x, y, **self.filter_sk_params(Model.evaluate, kwargs))
        return -loss[0] if isinstance(loss, list) else -loss

    def __sklearn_tags__(self):
        return _sklearn_tags("regressor")


def _sklearn_tags(kind):
    """scikit-learn's ``Tags`` for a 'classifier' or 'regressor' (asked for by sklearn >= 1.6)."""
    import sklearn.utils as sk  # optional dependency: only scikit-learn itself calls this

    kind_tags = ({"classifier_tags": sk.ClassifierTags()} if kind == "classifier"
                 else {"regressor_tags": sk.RegressorTags()})
    return sk.Tags(estimator_type=kind, target_tags=sk.TargetTags(required=True), **kind_tags)


# Names Keras 2 code imports from this module, resolved on first access (so this module
# imports nothing more at load time).
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

__getattr__ = lazy_exports(__name__, {
    "Sequential": "openkeras.engine.sequential:Sequential",
    "has_arg": "openkeras.utils.generic_utils:has_arg",
})

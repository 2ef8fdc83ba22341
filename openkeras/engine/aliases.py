"""The one table of renames: Keras 1 / Keras 2.0 / tf.keras spellings of classes and arguments.

Constructors and methods accept the old argument names with a DeprecationWarning naming the
old and the new spelling (``legacy_arguments``, ``rename_kwargs``, ``take_renamed``); the
registry resolves old class names (``class_name``); Keras 1 config conversion
(``saving.keras1``) and Keras 2.2.4's ``legacy.interfaces`` decorators read the same tables.

This module imports nothing from openkeras: every module may use it.
"""

import functools
import inspect
import warnings

# ------------------------------------------------------------------------------ classes
# Class names Keras 1 wrote in its files (saving.keras1 recognises Keras 1 configs by them).
KERAS1_CLASS_RENAMES = {
    "Convolution1D": "Conv1D", "AtrousConvolution1D": "Conv1D", "Convolution2D": "Conv2D",
    "AtrousConvolution2D": "Conv2D", "Convolution3D": "Conv3D",
    "Deconvolution2D": "Conv2DTranspose", "SeparableConvolution2D": "SeparableConv2D",
}
# kind -> {old or other spelling: the registered class name}
CLASS_RENAMES = {
    "layer": {
        **KERAS1_CLASS_RENAMES,
        # Keras 2 wrote 'Model' for a functional model; tf.keras 2.4+ writes 'Functional'.
        "Model": "Functional",
        # Keras 2 / tf.keras alias spellings
        "Convolution2DTranspose": "Conv2DTranspose", "Convolution3DTranspose": "Conv3DTranspose",
        "Deconvolution3D": "Conv3DTranspose", "Deconv2D": "Conv2DTranspose",
        "Deconv3D": "Conv3DTranspose", "SeparableConvolution1D": "SeparableConv1D",
        "MaxPool1D": "MaxPooling1D", "MaxPool2D": "MaxPooling2D", "MaxPool3D": "MaxPooling3D",
        "AvgPool1D": "AveragePooling1D", "AvgPool2D": "AveragePooling2D",
        "AvgPool3D": "AveragePooling3D", "GlobalMaxPool1D": "GlobalMaxPooling1D",
        "GlobalMaxPool2D": "GlobalMaxPooling2D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
        "GlobalAvgPool1D": "GlobalAveragePooling1D", "GlobalAvgPool2D": "GlobalAveragePooling2D",
        "GlobalAvgPool3D": "GlobalAveragePooling3D",
    },
}


def class_name(kind, name):
    """The registered class name for ``name`` as a ``kind`` (``name`` itself if not renamed)."""
    return CLASS_RENAMES.get(kind, {}).get(name, name)


# ---------------------------------------------------------------------------- arguments
# Keras 1 names of the weight arguments shared by Dense and the convolutions.
_WEIGHTS = {"init": "kernel_initializer", "W_regularizer": "kernel_regularizer",
            "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
            "b_constraint": "bias_constraint", "bias": "use_bias"}

# owner -> {old argument name: new argument name}
ARG_RENAMES = {
    # layers (constructors; Keras 1 configs use the same names)
    "Dense": {"output_dim": "units", **_WEIGHTS},
    "Conv": {"nb_filter": "filters", "border_mode": "padding", "subsample": "strides",
             "subsample_length": "strides", "filter_length": "kernel_size",
             "atrous_rate": "dilation_rate", **_WEIGHTS},
    "Embedding": {"init": "embeddings_initializer", "W_regularizer": "embeddings_regularizer",
                  "W_constraint": "embeddings_constraint"},
    "RNN": {"output_dim": "units", "init": "kernel_initializer",
            "inner_init": "recurrent_initializer", "inner_activation": "recurrent_activation",
            "W_regularizer": "kernel_regularizer", "U_regularizer": "recurrent_regularizer",
            "b_regularizer": "bias_regularizer", "W_constraint": "kernel_constraint",
            "U_constraint": "recurrent_constraint", "b_constraint": "bias_constraint",
            "dropout_W": "dropout", "dropout_U": "recurrent_dropout",
            "consume_less": "implementation"},
    "Pooling": {"pool_length": "pool_size", "stride": "strides", "border_mode": "padding"},
    "BatchNormalization": {"beta_init": "beta_initializer", "gamma_init": "gamma_initializer"},
    "Dropout": {"p": "rate"},
    "GaussianNoise": {"sigma": "stddev"},
    "UpSampling1D": {"length": "size"},
    "PReLU": {"init": "alpha_initializer"},
    "dim_ordering": {"dim_ordering": "data_format"},
    "Input": {"input_dtype": "dtype"},
    "Model": {"input": "inputs", "output": "outputs"},
    "L1": {"l": "l1"},
    "L2": {"l": "l2"},
    "Optimizer": {"lr": "learning_rate"},
    # training methods (engine/training*.py call rename_kwargs with these owners)
    "fit": {"nb_epoch": "epochs"},
    "fit_generator": {"nb_epoch": "epochs", "nb_worker": "workers",
                      "max_q_size": "max_queue_size", "pickle_safe": "use_multiprocessing"},
    "evaluate_generator": {"nb_worker": "workers", "max_q_size": "max_queue_size",
                           "pickle_safe": "use_multiprocessing"},
    "predict_generator": {"nb_worker": "workers", "max_q_size": "max_queue_size",
                          "pickle_safe": "use_multiprocessing"},
    # Keras 2.2.4's legacy_generator_methods_support (Keras 1 counted samples, not batches)
    "generator_methods": {"samples_per_epoch": "steps_per_epoch", "val_samples": "steps",
                          "nb_epoch": "epochs", "nb_val_samples": "validation_steps",
                          "nb_worker": "workers", "pickle_safe": "use_multiprocessing",
                          "max_q_size": "max_queue_size"},
    # scikit-learn wrappers (their sk_params and set_params)
    "sklearn": {"nb_epoch": "epochs"},
    # datasets and text preprocessing
    "num_words": {"nb_words": "num_words"},
}
# Keras 1 arguments that were renamed on every layer taking them (saving.keras1 applies these
# to every layer of a Keras 1 config, then the owner's table).
KERAS1_COMMON = {**_WEIGHTS, "input_dtype": "dtype", "border_mode": "padding",
                 "dim_ordering": "data_format", "subsample": "strides", "nb_filter": "filters",
                 "atrous_rate": "dilation_rate"}

# new argument name -> {old value: new value}, applied to the value of a renamed argument
VALUE_RENAMES = {
    "data_format": {"tf": "channels_last", "th": "channels_first", "default": None},
    "implementation": {"cpu": 0, "mem": 1, "gpu": 2},
}


def arg_renames(owner):
    """The {old: new} argument renames of ``owner`` (a key of ``ARG_RENAMES``)."""
    return ARG_RENAMES[owner]


def convert_value(new, value):
    """The Keras 2 value of an argument renamed to ``new`` (``'th'`` -> ``'channels_first'``)."""
    table = VALUE_RENAMES.get(new)
    if table is None or not isinstance(value, str):
        return value
    return table.get(value, value)


def _warn(label, old, new, stacklevel):
    warnings.warn(f"{label}: `{old}` is deprecated, use `{new}` instead.", DeprecationWarning,
                  stacklevel=stacklevel + 1)


def _both_given(label, old, new):
    return TypeError(f"{label}: received both the legacy argument `{old}` and its Keras 2 "
                     f"name `{new}`. Pass only `{new}`.")


def rename_kwargs(kwargs, owner, label=None, stacklevel=3):
    """Rename ``owner``'s old argument names in ``kwargs`` (in place) with a DeprecationWarning.

    Refuses an old name given together with its new name.

    Args:
        kwargs: the keyword arguments of a call.
        owner: a key of ``ARG_RENAMES`` (e.g. ``'fit'``).
        label: the name shown in messages (default: ``owner``).
        stacklevel: the frame the warning points at, counted from the caller.
    Returns:
        ``kwargs``.
    """
    for old, new in ARG_RENAMES[owner].items():
        if old in kwargs:
            if new in kwargs:
                raise _both_given(label or owner, old, new)
            _warn(label or owner, old, new, stacklevel)
            kwargs[new] = convert_value(new, kwargs.pop(old))
    return kwargs


def take_renamed(kwargs, owner, label=None, stacklevel=3):
    """Pop ``owner``'s old argument names from ``kwargs``; return their values by new name.

    For constructors whose new-named parameters are already bound (the caller decides which
    value wins); each old name found gives a DeprecationWarning.

    Args:
        kwargs: the remaining keyword arguments of a constructor.
        owner: a key of ``ARG_RENAMES``.
        label: the name shown in messages (default: ``owner``).
        stacklevel: the frame the warning points at, counted from the caller.
    """
    found = {}
    for old, new in ARG_RENAMES[owner].items():
        if old in kwargs:
            _warn(label or owner, old, new, stacklevel)
            found[new] = convert_value(new, kwargs.pop(old))
    return found


def legacy_arguments(*owners):
    """Decorator: ``__init__`` (or a method) also accepts the old names of ``owners``' tables.

    The old names are renamed before the call with a DeprecationWarning; an old name passed
    together with its new name (by keyword or by position) raises a TypeError.

    Args:
        *owners: keys of ``ARG_RENAMES``.
    """
    table = {}
    for owner in owners:
        table.update(ARG_RENAMES[owner])

    def decorator(func):
        params = list(inspect.signature(func).parameters)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if any(old in kwargs for old in table):
                is_init = func.__name__ == "__init__" and args
                label = type(args[0]).__name__ if is_init else func.__name__
                positional = set(params[:len(args)])
                for old, new in table.items():
                    if old in kwargs:
                        if new in kwargs or new in positional:
                            raise _both_given(label, old, new)
                        _warn(label, old, new, 2)
                        kwargs[new] = convert_value(new, kwargs.pop(old))
            return func(*args, **kwargs)

        return wrapper

    return decorator

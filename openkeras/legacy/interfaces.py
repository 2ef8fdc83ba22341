"""Keras 1 -> Keras 2 argument converters (``keras.legacy.interfaces``).

Add-on libraries decorate their own ``__init__`` with ``@interfaces.legacy_dense_support``
and similar. Each decorator renames Keras 1 keyword arguments to their Keras 2 names (with a
``UserWarning`` naming the Keras 2 call, as Keras 2 did), converts old values
(``dim_ordering='th'`` -> ``data_format='channels_first'``) and limits positional arguments.
"""

import functools
import warnings

import numpy as np

from openkeras.engine import aliases


def _renames(*owners):
    """The (old, new) argument renames of ``owners`` in the one rename table (engine.aliases)."""
    return [pair for owner in owners for pair in aliases.arg_renames(owner).items()]


def _values(*owners):
    """{old name: {old value: new value}} for the renamed arguments of ``owners``."""
    return {old: aliases.VALUE_RENAMES[new] for old, new in _renames(*owners)
            if new in aliases.VALUE_RENAMES}


def raise_duplicate_arg_error(old_arg, new_arg):
    """Refuse a call that passes both the Keras 1 and the Keras 2 name of one argument."""
    raise TypeError(f"For the `{new_arg}` argument, the layer received both the legacy keyword "
                    f"argument `{old_arg}` and the Keras 2 keyword argument `{new_arg}`. "
                    "Stick to the latter!")


def _short(value):
    if isinstance(value, str):
        return f'"{value}"'
    text = "array" if isinstance(value, np.ndarray) else str(value)
    return text if len(text) <= 10 else text[:10] + "..."


def generate_legacy_interface(allowed_positional_args=None, conversions=None, preprocessor=None,
                              value_conversions=None, object_type="class"):
    """A decorator converting a Keras 1 call signature to Keras 2.

    Args:
        allowed_positional_args: names allowed positionally (None: no limit).
        conversions: ``[(old_name, new_name), ...]`` keyword renames.
        preprocessor: ``f(args, kwargs) -> (args, kwargs, converted)`` run first.
        value_conversions: ``{old_name: {old_value: new_value}}``.
        object_type: ``'class'`` (the first argument is ``self``) or ``'method'``.
    """
    conversions = list(conversions or [])
    value_conversions = dict(value_conversions or {})

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            name = type(args[0]).__name__ if object_type == "class" else func.__name__
            converted = []
            if preprocessor is not None:
                args, kwargs, converted = preprocessor(args, kwargs)
            if allowed_positional_args is not None \
                    and len(args) > len(allowed_positional_args) + 1:
                raise TypeError(f"`{name}` can accept only {len(allowed_positional_args)} "
                                f"positional arguments {tuple(allowed_positional_args)}, but "
                                f"you passed the following positional arguments: "
                                f"{list(args[1:])}")
            for key, table in value_conversions.items():
                if key in kwargs and _hashable(kwargs[key]) and kwargs[key] in table:
                    kwargs[key] = table[kwargs[key]]
            for old, new in conversions:
                if old in kwargs:
                    value = kwargs.pop(old)
                    if new in kwargs:
                        raise_duplicate_arg_error(old, new)
                    kwargs[new] = value
                    converted.append((new, old))
            if converted:
                shown = [_short(a) for a in args[1:]]
                shown += [f"{k}={_short(v)}" for k, v in kwargs.items()]
                warnings.warn(f"Update your `{name}` call to the Keras 2 API: "
                              f"`{name}({', '.join(shown)})`", stacklevel=2)
            return func(*args, **kwargs)

        wrapper._original_function = func
        return wrapper

    return decorator


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


generate_legacy_method_interface = functools.partial(generate_legacy_interface,
                                                     object_type="method")


def _input_dim_to_shape(kwargs, converted):
    if "input_dim" in kwargs:
        kwargs["input_shape"] = (kwargs.pop("input_length", None), kwargs.pop("input_dim"))
        converted.append(("input_shape", "input_dim"))


def _forget_bias(kwargs, converted):
    if "forget_bias_init" in kwargs:
        if kwargs.pop("forget_bias_init") == "one":
            kwargs["unit_forget_bias"] = True
            converted.append(("unit_forget_bias", "forget_bias_init"))
        else:
            warnings.warn("The `forget_bias_init` argument has been ignored. Use "
                          "`unit_forget_bias=True` instead to initialize with ones.",
                          stacklevel=3)


def embedding_kwargs_preprocessor(args, kwargs):
    """Drop Keras 1's ``Embedding(dropout=...)`` with a warning (use SpatialDropout1D)."""
    if "dropout" in kwargs:
        kwargs.pop("dropout")
        warnings.warn("The `dropout` argument is no longer supported in `Embedding`. Apply a "
                      "`SpatialDropout1D` layer right after the `Embedding` layer instead.",
                      stacklevel=3)
    return args, kwargs, []


def recurrent_args_preprocessor(args, kwargs):
    """Keras 1 recurrent arguments: ``forget_bias_init``, ``input_dim``/``input_length``."""
    converted = []
    _forget_bias(kwargs, converted)
    _input_dim_to_shape(kwargs, converted)
    return args, kwargs, converted


def conv1d_args_preprocessor(args, kwargs):
    """Keras 1 ``Convolution1D(input_dim=, input_length=)`` -> ``input_shape``."""
    converted = []
    _input_dim_to_shape(kwargs, converted)
    return args, kwargs, converted


def _kernel_size(args, kwargs, keys, rank):
    """Gather Keras 1's per-dimension kernel sizes (``nb_row``, ``nb_col`` ...) into one tuple."""
    args = list(args)
    if len(args) > rank + 2:
        raise TypeError(f"Layer can receive at most {rank + 1} positional arguments.")
    sizes = [a for a in args[2:]]
    if len(sizes) == 2 and all(isinstance(s, int) for s in sizes) \
            and any(k in kwargs for k in ("padding", "strides", "data_format")):
        raise ValueError("It seems that you are using Keras 2 and pass both `kernel_size` "
                         "and `strides` as integer positional arguments. For safety reasons "
                         "this is disallowed: pass `strides` as a keyword argument instead.")
    missing = keys[len(sizes):] if len(args) >= 2 else keys
    if (len(sizes) > 1 or missing) and all(k in kwargs for k in missing) \
            and len(sizes) + len(missing) == rank and all(isinstance(s, int) for s in sizes):
        kernel = tuple(sizes) + tuple(kwargs.pop(k) for k in missing)
        if len(args) >= 2:
            args = args[:2] + [kernel]
        else:
            kwargs["kernel_size"] = kernel
        return tuple(args), kwargs, [("kernel_size", "/".join(keys))]
    return tuple(args), kwargs, []


def conv2d_args_preprocessor(args, kwargs):
    """Keras 1 ``Convolution2D(nb_filter, nb_row, nb_col)`` -> ``(filters, (rows, cols))``."""
    return _kernel_size(args, kwargs, ["nb_row", "nb_col"], 2)


def conv3d_args_preprocessor(args, kwargs):
    """Keras 1 ``Convolution3D(nb_filter, d1, d2, d3)`` -> ``(filters, (d1, d2, d3))``."""
    return _kernel_size(args, kwargs, ["kernel_dim1", "kernel_dim2", "kernel_dim3"], 3)


def separable_conv2d_args_preprocessor(args, kwargs):
    """Keras 1 ``SeparableConvolution2D``: ``init`` sets both depthwise and pointwise."""
    converted = []
    if "init" in kwargs:
        init = kwargs.pop("init")
        kwargs["depthwise_initializer"] = kwargs["pointwise_initializer"] = init
        converted.append(("depthwise_initializer/pointwise_initializer", "init"))
    args, kwargs, more = conv2d_args_preprocessor(args, kwargs)
    return args, kwargs, converted + more


def deconv2d_args_preprocessor(args, kwargs):
    """Keras 1 ``Deconvolution2D``: drop ``output_shape`` (Keras 2 infers it)."""
    converted = []
    if len(args) == 5 and isinstance(args[4], tuple):
        args = args[:-1]
        converted.append(("output_shape", None))
    if "output_shape" in kwargs:
        kwargs.pop("output_shape")
        converted.append(("output_shape", None))
    args, kwargs, more = conv2d_args_preprocessor(args, kwargs)
    return args, kwargs, converted + more


def convlstm2d_args_preprocessor(args, kwargs):
    """Keras 1 ``ConvLSTM2D``: ``forget_bias_init`` and ``nb_row``/``nb_col``."""
    converted = []
    _forget_bias(kwargs, converted)
    args, kwargs, more = conv2d_args_preprocessor(args, kwargs)
    return args, kwargs, converted + more


def batchnorm_args_preprocessor(args, kwargs):
    """Keras 1 ``BatchNormalization(mode=0)`` only; other modes no longer exist."""
    if len(args) > 1:
        raise TypeError("The `BatchNormalization` layer does not accept positional arguments. "
                        "Use keyword arguments instead.")
    converted = []
    if "mode" in kwargs:
        if kwargs.pop("mode") != 0:
            raise TypeError("The `mode` argument of `BatchNormalization` no longer exists. "
                            "`mode=1` and `mode=2` are no longer supported.")
        converted.append(("mode", None))
    return args, kwargs, converted


def _pads(pads):
    return ((pads.get("top_pad", 0), pads.get("bottom_pad", 0)),
            (pads.get("left_pad", 0), pads.get("right_pad", 0)))


def zeropadding2d_args_preprocessor(args, kwargs):
    """Keras 1 ``ZeroPadding2D(padding={'top_pad': ...})`` -> nested tuples."""
    keys = {"top_pad", "bottom_pad", "left_pad", "right_pad"}
    if isinstance(kwargs.get("padding"), dict) and set(kwargs["padding"]) <= keys:
        kwargs["padding"] = _pads(kwargs["padding"])
        warnings.warn("`padding` no longer accepts a dict: pass "
                      "((top_pad, bottom_pad), (left_pad, right_pad)).", stacklevel=3)
    elif len(args) == 2 and isinstance(args[1], dict) and set(args[1]) <= keys:
        args = (args[0], _pads(args[1]))
        warnings.warn("`padding` no longer accepts a dict: pass "
                      "((top_pad, bottom_pad), (left_pad, right_pad)).", stacklevel=3)
    return args, kwargs, []


def generator_methods_args_preprocessor(args, kwargs):
    """Keras 1 ``fit_generator(samples_per_epoch=...)`` -> ``steps_per_epoch`` (in batches)."""
    converted = []
    if len(args) < 3 and "samples_per_epoch" in kwargs:
        samples = kwargs.pop("samples_per_epoch")
        generator = args[1] if len(args) > 1 else kwargs.get("generator")
        batch_size = getattr(generator, "batch_size", None)
        kwargs["steps_per_epoch"] = samples // batch_size if batch_size else samples
        converted.append(("steps_per_epoch", "samples_per_epoch"))
    if {"samples_per_epoch", "val_samples", "nb_epoch", "nb_val_samples",
            "nb_worker"} & set(kwargs):
        warnings.warn("Keras 2's `steps_per_epoch`, `validation_steps` and `steps` count "
                      "batches, not samples as Keras 1's `samples_per_epoch`, "
                      "`nb_val_samples` and `val_samples` did. Update your method calls.",
                      stacklevel=3)
    return args, kwargs, converted


def add_weight_args_preprocessing(args, kwargs):
    """Keras 1 ``add_weight(shape, name)`` order -> keyword ``shape`` and ``name``."""
    if len(args) > 1 and isinstance(args[1], (tuple, list)):
        kwargs["shape"] = args[1]
        args = (args[0],) + tuple(args[2:])
        if len(args) > 1 and isinstance(args[1], str):
            kwargs["name"] = args[1]
            args = (args[0],) + tuple(args[2:])
    return args, kwargs, []


def get_updates_arg_preprocessing(args, kwargs):
    """Keras 1 ``get_updates(params, constraints, loss)`` -> ``get_updates(loss, params)``."""
    if len(args) > 4:
        raise TypeError("`get_updates` call received more arguments than expected.")
    if len(args) == 4:
        optimizer, params, _constraints, loss = args
        kwargs.update(loss=loss, params=params)
        return (optimizer,), kwargs, []
    if len(args) == 3 and isinstance(args[1], (list, tuple)) and "loss" in kwargs:
        kwargs["params"] = args[1]
        return (args[0],), kwargs, []
    return args, kwargs, []


def _legacy(positional, conversions=(), values=None, preprocessor=None):
    return generate_legacy_interface(positional, list(conversions), preprocessor, values)


def _legacy(positional, *owners, preprocessor=None):
    return generate_legacy_interface(positional, _renames(*owners), preprocessor, _values(*owners))


legacy_dense_support = _legacy(["units"], "Dense")
legacy_dropout_support = _legacy(["rate", "noise_shape", "seed"], "Dropout")
legacy_embedding_support = _legacy(["input_dim", "output_dim"], "Embedding",
                                   preprocessor=embedding_kwargs_preprocessor)
legacy_pooling1d_support = _legacy(["pool_size", "strides", "padding"], "Pooling")
legacy_prelu_support = _legacy(["alpha_initializer"], "PReLU")
legacy_gaussiannoise_support = _legacy(["stddev"], "GaussianNoise")
legacy_recurrent_support = _legacy(["units"], "RNN", preprocessor=recurrent_args_preprocessor)
legacy_gaussiandropout_support = _legacy(["rate"], "Dropout")
legacy_pooling2d_support = _legacy(["pool_size", "strides", "padding"], "Pooling", "dim_ordering")
legacy_pooling3d_support = _legacy(["pool_size", "strides", "padding"], "Pooling", "dim_ordering")
legacy_global_pooling_support = _legacy(None, "dim_ordering")
legacy_upsampling1d_support = _legacy(["size"], "UpSampling1D")
legacy_upsampling2d_support = _legacy(["size"], "dim_ordering")
legacy_upsampling3d_support = _legacy(["size"], "dim_ordering")
legacy_conv1d_support = _legacy(["filters", "kernel_size"], "Conv",
                                preprocessor=conv1d_args_preprocessor)
legacy_conv2d_support = _legacy(["filters", "kernel_size"], "Conv", "dim_ordering",
                                preprocessor=conv2d_args_preprocessor)
legacy_separable_conv2d_support = _legacy(["filters", "kernel_size"], "Conv", "dim_ordering",
                                          preprocessor=separable_conv2d_args_preprocessor)
legacy_deconv2d_support = _legacy(["filters", "kernel_size"], "Conv", "dim_ordering",
                                  preprocessor=deconv2d_args_preprocessor)
legacy_conv3d_support = _legacy(["filters", "kernel_size"], "Conv", "dim_ordering",
                                preprocessor=conv3d_args_preprocessor)
legacy_convlstm2d_support = _legacy(["filters", "kernel_size"], "Conv", "RNN", "dim_ordering",
                                    preprocessor=convlstm2d_args_preprocessor)
legacy_batchnorm_support = _legacy([], "BatchNormalization",
                                   preprocessor=batchnorm_args_preprocessor)
legacy_zeropadding2d_support = _legacy(["padding"], "dim_ordering",
                                       preprocessor=zeropadding2d_args_preprocessor)
legacy_zeropadding3d_support = _legacy(["padding"], "dim_ordering")
legacy_cropping2d_support = _legacy(["cropping"], "dim_ordering")
legacy_cropping3d_support = _legacy(["cropping"], "dim_ordering")
legacy_spatialdropout1d_support = _legacy(["rate"], "Dropout")
legacy_spatialdropoutNd_support = _legacy(["rate"], "Dropout", "dim_ordering")
legacy_lambda_support = _legacy(["function", "output_shape"])
legacy_generator_methods_support = generate_legacy_method_interface(
    ["generator", "steps_per_epoch", "epochs"], _renames("generator_methods"),
    preprocessor=generator_methods_args_preprocessor)
legacy_model_constructor_support = _legacy(None, "Model")
legacy_input_support = _legacy(None, "Input")
legacy_add_weight_support = _legacy(["name", "shape"], preprocessor=add_weight_args_preprocessing)
legacy_get_updates_support = _legacy(None, preprocessor=get_updates_arg_preprocessing)

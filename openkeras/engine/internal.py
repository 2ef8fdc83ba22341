"""Placeholders for Keras 2 internals that have no counterpart on openkeras's torch engine.

Keras 2's TensorFlow training loop exposed helpers (``fit_loop(model, fit_function, ...)``,
``standardize_input_data``) that take its backend functions and placeholders. openkeras runs a
different loop, so these names exist (imports keep working) but using one raises an error that
says what to call instead. Each carries ``_openkeras_unsupported`` (read by ``openkeras check``).
"""


def keras_internal(path, advice):
    """A function named after the Keras 2 internal ``path`` that raises a clear error.

    Args:
        path: the Keras 2 name (``'keras.engine.training_arrays.fit_loop'``).
        advice: what to use instead.
    """
    message = (f"{path} is an internal helper of Keras 2's TensorFlow training engine; "
               f"openkeras trains with its own torch loop and does not implement it. {advice}")

    def unsupported(*args, **kwargs):
        raise NotImplementedError(message)

    unsupported.__name__ = path.rsplit(".", 1)[-1]
    unsupported.__qualname__ = unsupported.__name__
    unsupported.__doc__ = message
    unsupported._openkeras_unsupported = message
    return unsupported

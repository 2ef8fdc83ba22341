"""InputSpec: what a built layer accepts, checked when it is called on symbolic tensors."""


class InputSpec:
    """Constraints on a layer input.

    Args:
        dtype: expected dtype name, or None.
        shape: expected full shape (None entries match anything).
        ndim, max_ndim, min_ndim: rank constraints.
        axes: {axis: size} for fixed axes, e.g. {-1: 64}.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})

    def __repr__(self):
        fields = {k: v for k, v in vars(self).items() if v}
        return f"InputSpec({', '.join(f'{k}={v}' for k, v in fields.items())})"


def assert_input_compatibility(specs, shapes, layer_name):
    """Raise ValueError naming the layer if ``shapes`` break ``specs``."""
    if specs is None:
        return
    specs = specs if isinstance(specs, (list, tuple)) else [specs]
    shapes = shapes if isinstance(shapes, list) else [shapes]
    for i, (spec, shape) in enumerate(zip(specs, shapes, strict=False)):
        if spec is None or shape is None:
            continue
        prefix = f'Input {i} of layer "{layer_name}" is incompatible with the layer: '
        rank = len(shape)
        if spec.ndim is not None and rank != spec.ndim:
            raise ValueError(f"{prefix}expected ndim={spec.ndim}, found ndim={rank}. "
                             f"Full shape received: {tuple(shape)}")
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ValueError(f"{prefix}expected max_ndim={spec.max_ndim}, found ndim={rank}. "
                             f"Full shape received: {tuple(shape)}")
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ValueError(f"{prefix}expected min_ndim={spec.min_ndim}, found ndim={rank}. "
                             f"Full shape received: {tuple(shape)}")
        for axis, value in spec.axes.items():
            got = shape[axis] if -rank <= axis < rank else None
            if value is not None and got is not None and got != value:
                raise ValueError(f"{prefix}expected axis {axis} of input shape to have value "
                                 f"{value}, but received input with shape {tuple(shape)}")
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape, strict=False):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{prefix}expected shape={spec.shape}, found shape={tuple(shape)}")

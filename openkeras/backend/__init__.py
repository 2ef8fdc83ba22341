"""The Keras backend API (used as ``K``) on torch.

Ops take torch tensors (numpy arrays and numbers are converted) and are differentiable torch
code with Keras 2's signatures. Given graph tensors (model inputs and outputs, layer outputs,
``K.placeholder``, ``K.shape(x)``) every public function not in ``NOT_RECORDED`` records an
OpLambda node instead, with Keras 2's shape inference (openkeras.engine.symbolic_dispatch): one
implementation per function. Given ``K.variable``s it computes and keeps the recipe, so graph
runs recompute it from the variables' values (openkeras.engine.graph_variables).
``K.gradients`` on graph tensors adds a node computed by torch.autograd;
``K.function(inputs, outputs, updates)`` runs the graph as a flat plan and applies
``K.update*`` / ``Optimizer.get_updates`` ops (openkeras.engine.graph_ops).
The modules: common (learning phase, clear_session), variables, ops, nn, random_ops, function
(K.function, gradients, rnn), conv_extra and local_conv (more convolutions), ctc and session
(get_session().run, set_session).
"""

from openkeras.backend.common import (
    backend,
    clear_session,
    image_dim_ordering,
    learning_phase,
    learning_phase_scope,
    set_image_dim_ordering,
    set_learning_phase,
)
from openkeras.backend.conv_extra import (
    conv2d_transpose,
    conv3d_transpose,
    depthwise_conv2d,
    separable_conv1d,
    separable_conv2d,
)
from openkeras.backend.ctc import ctc_batch_cost, ctc_decode, ctc_label_dense_to_sparse
from openkeras.backend.function import (
    foldl,
    foldr,
    function,
    gradients,
    map_fn,
    print_tensor,
    rnn,
    stop_gradient,
)
from openkeras.backend.local_conv import local_conv1d, local_conv2d
from openkeras.backend.nn import (
    batch_normalization,
    bias_add,
    binary_crossentropy,
    categorical_crossentropy,
    conv1d,
    conv2d,
    conv3d,
    dropout,
    elu,
    hard_sigmoid,
    in_test_phase,
    in_train_phase,
    l2_normalize,
    normalize_batch_in_training,
    pool2d,
    pool3d,
    relu,
    resize_images,
    resize_volumes,
    sigmoid,
    softmax,
    softplus,
    softsign,
    sparse_categorical_crossentropy,
    spatial_2d_padding,
    spatial_3d_padding,
    tanh,
    temporal_padding,
)
from openkeras.backend.ops import (
    abs,
    all,
    any,
    argmax,
    argmin,
    batch_dot,
    batch_flatten,
    clip,
    concatenate,
    cos,
    cumprod,
    cumsum,
    dot,
    equal,
    exp,
    expand_dims,
    flatten,
    gather,
    greater,
    greater_equal,
    in_top_k,
    less,
    less_equal,
    log,
    logsumexp,
    max,
    maximum,
    mean,
    min,
    minimum,
    not_equal,
    one_hot,
    permute_dimensions,
    pow,
    prod,
    repeat,
    repeat_elements,
    reshape,
    reverse,
    round,
    sign,
    sin,
    slice,
    sqrt,
    square,
    squeeze,
    stack,
    std,
    sum,
    switch,
    tile,
    transpose,
    var,
)
from openkeras.backend.random_ops import (
    random_bernoulli,
    random_binomial,
    random_normal,
    random_normal_variable,
    random_uniform,
    random_uniform_variable,
    truncated_normal,
)
from openkeras.backend.session import get_session, set_session
from openkeras.backend.variables import (
    arange,
    batch_get_value,
    batch_set_value,
    cast,
    cast_to_floatx,
    constant,
    count_params,
    dtype,
    eval,
    eye,
    get_value,
    get_variable_shape,
    identity,
    int_shape,
    is_keras_tensor,
    is_placeholder,
    is_sparse,
    is_tensor,
    moving_average_update,
    ndim,
    ones,
    ones_like,
    placeholder,
    set_value,
    shape,
    to_dense,
    update,
    update_add,
    update_sub,
    variable,
    zeros,
    zeros_like,
)
from openkeras.config import (
    epsilon,
    floatx,
    image_data_format,
    normalize_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from openkeras.engine import registry as _registry
from openkeras.engine.naming import get_uid, reset_uids
from openkeras.engine.symbolic_dispatch import wrap_public_functions as _wrap_public_functions

# Functions that make graph tensors, read their static facts, or manage state: not recorded.
NOT_RECORDED = frozenset({
    "backend", "clear_session", "learning_phase", "learning_phase_scope", "set_learning_phase",
    "function", "gradients", "get_uid", "reset_uids", "get_session", "set_session",
    "placeholder", "variable", "constant", "is_keras_tensor", "is_placeholder", "is_sparse",
    "is_tensor", "get_value", "set_value", "batch_get_value", "batch_set_value", "eval",
    "int_shape", "ndim", "dtype", "count_params", "update", "update_add", "update_sub",
    "moving_average_update", "random_normal_variable", "random_uniform_variable",
    "cast_to_floatx",
})

# Every other public function of openkeras.backend.* records a graph node on graph tensors.
_wrap_public_functions(globals(), ["openkeras.backend."], exclude=NOT_RECORDED)
# Lambda and OpLambda configs in files may name these tensor functions (the registry's
# allow-list); nothing else in K can be reached from a file.
_registry.register_backend_functions(globals())


_NOT_ON_TORCH = {
    "tf": "openkeras runs on PyTorch, so there is no TensorFlow module behind K. Use the K "
          "functions (they work on graph tensors and torch tensors), torch itself in a Lambda "
          "layer or custom layer, or K.get_session().run(...) to evaluate graph tensors.",
}


# Keras 2 names outside the core backend API (scopes, config helpers, TF-only names that
# raise), resolved on first access: the table is in openkeras.engine.keras2_names.
from openkeras.engine.keras2_names import BACKEND as _KERAS2  # noqa: E402
from openkeras.engine.lazy_exports import lazy_exports  # noqa: E402

_keras2_name = lazy_exports(__name__, _KERAS2)


def __getattr__(name):
    if name in _NOT_ON_TORCH:
        raise AttributeError(f"K.{name}: {_NOT_ON_TORCH[name]}")
    return _keras2_name(name)

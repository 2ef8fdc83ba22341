"""The Keras 2 names of engine modules that other code edits often, kept here so those files
only hold a two-line hook (``__getattr__ = lazy_exports(__name__, TABLE)``)."""

BASE_LAYER = {
    "InputSpec": "openkeras.engine.input_spec:InputSpec",
    "count_params": "openkeras.utils.layer_utils:count_params",
    "disable_tracking": "openkeras.utils.generic_utils:disable_tracking",
    "has_arg": "openkeras.utils.generic_utils:has_arg",
    "initializers": "openkeras.initializers",
    "interfaces": "openkeras.legacy.interfaces",
    "is_all_none": "openkeras.utils.generic_utils:is_all_none",
    "object_list_uid": "openkeras.utils.generic_utils:object_list_uid",
    "to_list": "openkeras.utils.generic_utils:to_list",
    "unpack_singleton": "openkeras.utils.generic_utils:unpack_singleton",
}

TRAINING = {
    "Network": "openkeras.engine.network:Network",
    "check_array_length_consistency": "openkeras.engine.training_utils:check_array_length_consistency",
    "check_loss_and_target_compatibility": "openkeras.engine.training_utils:check_loss_and_target_compatibility",
    "collect_metrics": "openkeras.engine.training_utils:collect_metrics",
    "interfaces": "openkeras.legacy.interfaces",
    "losses": "openkeras.losses",
    "losses_utils": "openkeras.utils.losses_utils",
    "metrics_module": "openkeras.metrics",
    "optimizers": "openkeras.optimizers",
    "slice_arrays": "openkeras.utils.generic_utils:slice_arrays",
    "standardize_class_weights": "openkeras.engine.training_utils:standardize_class_weights",
    "standardize_input_data": "openkeras.engine.training_utils:standardize_input_data",
    "standardize_sample_weights": "openkeras.engine.training_utils:standardize_sample_weights",
    "standardize_weights": "openkeras.engine.training_utils:standardize_weights",
    "to_list": "openkeras.utils.generic_utils:to_list",
    "training_arrays": "openkeras.engine.training_arrays",
    "training_generator": "openkeras.engine.training_generator",
    "training_utils": "openkeras.engine.training_utils",
    "unpack_singleton": "openkeras.utils.generic_utils:unpack_singleton",
    "weighted_masked_objective": "openkeras.engine.training_utils:weighted_masked_objective",
}

INPUT_LAYER = {
    "interfaces": "openkeras.legacy.interfaces",
    "unpack_singleton": "openkeras.utils.generic_utils:unpack_singleton",
}

SEQUENTIAL = {
    "Model": "openkeras.engine.training:Model",
    "layer_module": "openkeras.layers",
    "network": "openkeras.engine.network",
}

BACKEND = {
    "Function": "openkeras.backend.function:Function",
    "backend_module": "openkeras.backend.keras2_extras:backend_module",
    "control_dependencies": "openkeras.backend.keras2_extras:control_dependencies",
    "eager": "openkeras.backend.keras2_extras:eager",
    "entries": "openkeras.backend.keras2_extras:entries",
    "get_graph": "openkeras.backend.keras2_extras:get_graph",
    "has_arg": "openkeras.utils.generic_utils:has_arg",
    "is_symbolic": "openkeras.engine.keras_tensor:is_symbolic",
    "is_variable": "openkeras.backend.keras2_extras:is_variable",
    "manual_variable_initialization": "openkeras.backend.keras2_extras:manual_variable_initialization",
    "name_scope": "openkeras.backend.keras2_extras:name_scope",
    "namespace": "openkeras.backend.keras2_extras:namespace",
    "pattern_broadcast": "openkeras.backend.keras2_extras:pattern_broadcast",
    "py_all": "openkeras.backend.keras2_extras:py_all",
    "py_any": "openkeras.backend.keras2_extras:py_any",
    "py_slice": "openkeras.backend.keras2_extras:py_slice",
    "py_sum": "openkeras.backend.keras2_extras:py_sum",
    "required_entries": "openkeras.backend.keras2_extras:required_entries",
    "size": "openkeras.backend.keras2_extras:size",
    "symbolic": "openkeras.backend.keras2_extras:symbolic",
    "transpose_shape": "openkeras.utils.generic_utils:transpose_shape",
    "v1_variable_initialization": "openkeras.backend.keras2_extras:v1_variable_initialization",
}

BACKEND_COMMON = {
    "cast_to_floatx": "openkeras.backend:cast_to_floatx",
    "eager": "openkeras.backend.keras2_extras:eager",
    "epsilon": "openkeras.config:epsilon",
    "floatx": "openkeras.config:floatx",
    "image_data_format": "openkeras.config:image_data_format",
    "normalize_data_format": "openkeras.config:normalize_data_format",
    "set_epsilon": "openkeras.config:set_epsilon",
    "set_floatx": "openkeras.config:set_floatx",
    "set_image_data_format": "openkeras.config:set_image_data_format",
    "symbolic": "openkeras.backend.keras2_extras:symbolic",
}

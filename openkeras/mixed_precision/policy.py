"""Dtype policies (tf.keras 2's ``Policy``): the dtype of a layer's variables and of its compute.

A mixed policy ('mixed_float16', 'mixed_bfloat16') keeps variables in float32 and runs the
layer's computation in half precision under ``torch.autocast``; a model applies autocast once
around its whole forward pass (see ``openkeras.engine.functional``), so layers add nothing to
the hot path.
"""

import numpy as np
import torch

from openkeras import config

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}
_GLOBAL = [None]  # the policy set by set_global_policy (None: floatx)


class Policy:
    """A dtype policy: the dtype of a layer's variables and the dtype it computes in.

    Args:
        name: 'mixed_float16', 'mixed_bfloat16', or a floating dtype name ('float32',
            'float16', 'bfloat16', 'float64'), for which both dtypes are that dtype.
    """

    def __init__(self, name):
        if isinstance(name, Policy):
            name = name.name
        if not isinstance(name, str):
            raise TypeError(f"'name' must be a string, such as 'mixed_float16'. "
                            f"Received: name={name!r} (of type {type(name).__name__})")
        if name in _MIXED:
            self._compute, self._variable = _MIXED[name], "float32"
        elif name in ("float16", "bfloat16", "float32", "float64"):
            self._compute = self._variable = name
        else:
            raise ValueError(f"Cannot convert value {name!r} to a mixed precision Policy. Valid "
                             "policies include 'mixed_float16', 'mixed_bfloat16', and the name "
                             "of any floating dtype such as 'float32'. Received: "
                             f"name={name!r}")
        self._name = name

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs (a string)."""
        return self._compute

    @property
    def variable_dtype(self):
        """The dtype of the layer's variables (a string)."""
        return self._variable

    @property
    def is_mixed(self):
        """Whether compute and variable dtypes differ (the layer runs under autocast)."""
        return self._compute != self._variable

    def autocast_dtype(self):
        """The torch dtype autocast computes in, or None when the policy is not mixed."""
        return getattr(torch, self._compute) if self.is_mixed else None

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config_, custom_objects=None):
        return cls(**config_)

    def __eq__(self, other):
        return isinstance(other, Policy) and other._name == self._name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<Policy "{self._name}">'


class _DtypeOnly(Policy):
    """The policy of a layer given a plain dtype outside the floating ones (e.g. 'int32')."""

    def __init__(self, name):  # Policy.__init__ would refuse the name
        self._name = self._compute = self._variable = name


def set_global_policy(policy):
    """Set the policy new layers get when they are given no ``dtype``.

    Args:
        policy: a Policy, a policy name ('mixed_float16', 'mixed_bfloat16', 'float32'...) or
            None to restore the default (a policy of ``K.floatx()``).
    """
    if policy is not None and not isinstance(policy, Policy):
        policy = Policy(policy)
    if policy is not None and policy.variable_dtype not in ("float16", "bfloat16", "float32",
                                                            "float64"):
        raise ValueError(f"set_global_policy() only accepts floating policies. Received: "
                         f"policy={policy!r}")
    _GLOBAL[0] = policy


def global_policy():
    """The policy layers get by default: the one set, else a policy of ``K.floatx()``."""
    return _GLOBAL[0] if _GLOBAL[0] is not None else Policy(config.floatx())


def layer_policy(dtype):
    """The policy of a layer constructed with ``dtype=`` (None, a name, a Policy or its config).

    Args:
        dtype: None (the global policy), a Policy, a policy or dtype name, a numpy or torch
            dtype, or a serialized policy ``{"class_name": "Policy", "config": {"name": ...}}``
            (tf.keras 2 and Keras 3 ``DTypePolicy`` configs alike).
    """
    if dtype is None:
        return global_policy()
    if isinstance(dtype, Policy):
        return dtype
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name", None)
        if dtype is None:
            return global_policy()
    if isinstance(dtype, torch.dtype):
        dtype = str(dtype).replace("torch.", "")
    elif not isinstance(dtype, str):
        try:
            dtype = np.dtype(dtype).name
        except TypeError:
            dtype = str(dtype)
    if dtype in _MIXED or dtype in ("float16", "bfloat16", "float32", "float64"):
        return Policy(dtype)
    return _DtypeOnly(dtype)  # checked where it is used (add_weight), as before policies


def serialize(policy):
    """A layer config's ``dtype`` entry: the dtype name, or the policy config when mixed."""
    if not policy.is_mixed:
        return policy.name
    return {"class_name": "Policy", "config": policy.get_config()}


def deserialize(config_, custom_objects=None):
    """The Policy of a ``serialize`` output (a name or a ``{"class_name", "config"}`` dict)."""
    return layer_policy(config_)

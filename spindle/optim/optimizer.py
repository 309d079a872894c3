"""The Optimizer base class: parameter groups, per-parameter state, and their checkpoint format.

Everything here follows ``torch.optim.Optimizer`` of PyTorch 2.13, including the layout of
``state_dict()``, so optimizer checkpoints translate one to one between the two frameworks.
"""

from collections import defaultdict
from copy import deepcopy
from itertools import chain
import warnings

import spindle


class _RequiredParameter:
    """Marks a hyperparameter in ``defaults`` that every parameter group must set itself."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _type_name(obj):
    """The qualified type name PyTorch prints in its optimizer errors (``torch.typename``)."""
    if isinstance(obj, spindle.Tensor):
        return "spindle.Tensor"
    kind = type(obj)
    module = kind.__module__
    return kind.__qualname__ if module in (None, "builtins") else f"{module}.{kind.__qualname__}"


def _new_step_counter(param, on_param_device=False, fused=False):
    """A zero-dim tensor counting an optimizer's steps for one parameter, as PyTorch keeps it.

    PyTorch stores the step as a float tensor (float32, or float64 when that is the default dtype)
    on the CPU; ``capturable``/``fused`` put it on the parameter's device so the whole update can run
    there without reading it back. Fused kernels always count in float32.
    """
    dtype = spindle.float32
    if not fused and spindle.get_default_dtype() == spindle.float64:
        dtype = spindle.float64
    device = param.device if on_param_device else "cpu"
    return spindle.zeros((), dtype=dtype, device=device)


def _check_hyperparameters(lr=None, eps=None, betas=None, weight_decay=None):
    """PyTorch's checks of the hyper-parameters most optimizers share, with its messages; None skips one."""
    if lr is not None and not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps is not None and not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    for index, beta in enumerate(betas or ()):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
    if weight_decay is not None and not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _regularized_gradient(param, grad, maximize, weight_decay, decoupled_lr=None):
    """``grad`` as an update rule uses it: negated when maximizing, plus ``weight_decay * param``
    (L2); or, given ``decoupled_lr`` (AdamW's decoupled decay), ``param`` itself scaled by
    ``1 - decoupled_lr * weight_decay`` in place and the gradient left alone."""
    if maximize:
        grad = -grad
    if weight_decay != 0:
        if decoupled_lr is not None:
            param.mul_(1 - decoupled_lr * weight_decay)
        else:
            grad = grad.add(param, alpha=weight_decay)
    return grad


def _check_implementation_flags(foreach=None, fused=None, differentiable=False):
    """Validate PyTorch's implementation switches, which spindle accepts for compatibility.

    ``foreach`` and ``fused`` pick among PyTorch's kernels; spindle has one implementation, so they
    only have to be consistent. Spindle's updates run under ``no_grad``: differentiating through a
    step (``differentiable=True``) is not offered.
    """
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
    if differentiable:
        raise NotImplementedError("spindle optimizers do not support differentiable=True")


class Optimizer:
    """Base class of all optimizers: holds parameter groups and per-parameter state.

    ``params`` is an iterable of Tensors, of ``(name, Tensor)`` pairs, or of dicts each holding a
    ``"params"`` entry plus per-group hyperparameters that override ``defaults``. ``state`` maps
    each parameter Tensor to a dict of its buffers (created on the first step). Subclasses implement
    ``_update_group(group)``, which applies one update to every parameter of ``group`` that has a
    gradient; ``step`` runs it under ``no_grad`` for all groups.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, spindle.Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got " + _type_name(params)
            )
        self.state = defaultdict(dict)
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        # Only the optimization state: not the step wrapper an LR scheduler may have installed.
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        # load_state_dict installs state and groups through here, so subclasses that override it
        # (as PyTorch optimizers do, to fill in defaults of old checkpoints) take part.
        self.__dict__.update(state)

    def __repr__(self):
        text = self.__class__.__name__ + " ("
        for index, group in enumerate(self.param_groups):
            text += f"\nParameter Group {index}\n"
            text += "".join(f"    {key}: {group[key]}\n" for key in sorted(group) if key != "params")
        return text + ")"

    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``"params"`` and optional hyperparameters).

        Missing hyperparameters are filled from ``defaults``. Raises ``TypeError`` for a non-dict,
        a set of parameters or a non-Tensor parameter, and ``ValueError`` for a non-leaf Tensor,
        a missing required hyperparameter, or a parameter already in another group.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")

        params = param_group["params"]
        if isinstance(params, spindle.Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering "
                "of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)

        # named_parameters() yields (name, tensor) pairs; the names are kept for checkpoints.
        names = [param[0] for param in params if isinstance(param, tuple)]
        tensors = [param[1] if isinstance(param, tuple) else param for param in params]
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. Some param names are missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, spindle.Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is " + _type_name(param)
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization parameter " + name
                )
            param_group.setdefault(name, default)

        if len(tensors) != len(set(tensors)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; in future, this will "
                "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        existing = set()
        for group in self.param_groups:
            existing.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                kind = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {kind} to the optimizer"
                )
        if not existing.isdisjoint(tensors):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: drop them (``None``) or fill them with zeros."""
        for group in self.param_groups:
            for param in group["params"]:
                grad = param.grad
                if grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    if grad.grad_fn is not None:
                        grad.detach_()
                    else:
                        grad.requires_grad_(False)
                    grad.zero_()

    def step(self, closure=None):
        """Update every parameter that has a gradient; returns the closure's loss if one is given.

        ``closure`` re-evaluates the model and returns the loss; it runs with gradients enabled.
        """
        loss = None
        if closure is not None:
            with spindle.enable_grad():
                loss = closure()
        with spindle.no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group):
        raise NotImplementedError

    def _parameters_with_gradients(self, group):
        """``(param, grad, state)`` for each parameter of ``group`` that has a gradient."""
        for param in group["params"]:
            if param.grad is not None:
                yield param, param.grad, self.state[param]

    def state_dict(self):
        """The optimizer's state as ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index]}]}``.

        Parameters are replaced by their position over all groups, in order; state tensors are
        returned by reference, not copied (as in PyTorch).
        """
        param_index = {}
        next_index = 0

        def pack_group(group):
            nonlocal next_index
            packed = {key: value for key, value in group.items() if key != "params"}
            for index, param in enumerate(group["params"], next_index):
                param_index.setdefault(id(param), index)
            packed["params"] = [param_index[id(param)] for param in group["params"]]
            next_index += len(packed["params"])
            return packed

        param_groups = [pack_group(group) for group in self.param_groups]
        packed_state = {
            (param_index[id(key)] if isinstance(key, spindle.Tensor) else key): value
            for key, value in self.state.items()
        }
        return {"state": packed_state, "param_groups": param_groups}

    def load_state_dict(self, state_dict):
        """Load a state produced by ``state_dict()`` (of this framework or of PyTorch, converted).

        Groups must match this optimizer's groups in number and size. State tensors are moved to
        each parameter's device and, for floating-point parameters, cast to its dtype; the step
        counter keeps its dtype except for ``capturable``/``fused`` groups (float32 on the device).
        """
        groups = self.param_groups
        saved_groups = deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )

        id_to_param = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        step_on_device = {
            index: group.get("capturable", False) or bool(group.get("fused", False))
            for group in saved_groups
            for index in group["params"]
        }

        def cast(param, value, step_on_param_device, key=None):
            if isinstance(value, spindle.Tensor):
                if key == "step":
                    if step_on_param_device:
                        return value.to(dtype=spindle.float32, device=param.device)
                    return value
                if param.is_floating_point():
                    return value.to(dtype=param.dtype, device=param.device)
                return value.to(device=param.device)
            if isinstance(value, dict):
                return {k: cast(param, v, step_on_param_device, key=k) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return type(value)(cast(param, v, step_on_param_device) for v in value)
            return value

        state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_to_param:
                param = id_to_param[key]
                state[param] = cast(param, value, step_on_device[key])
            else:
                state[key] = value

        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            # Checkpoints written before a hyperparameter existed get its default.
            for name, default in self.defaults.items():
                saved.setdefault(name, default)
        self.__setstate__({"state": state, "param_groups": saved_groups})

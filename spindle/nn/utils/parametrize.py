"""``nn.utils.parametrize``: express a parameter or buffer as a function of others.

``register_parametrization(module, "weight", P)`` moves the tensor to
``module.parametrizations.weight.original`` and turns ``module.weight`` into a property computing
``P(original)`` on every access (so the state-dict keys are PyTorch's ``parametrizations.weight.original``).
The module's class is swapped for a subclass ``Parametrized<Class>`` holding the property.
"""
import collections.abc
import copyreg
from contextlib import contextmanager
from copy import deepcopy

import spindle
from spindle.nn.modules.container import ModuleDict, ModuleList
from spindle.nn.parameter import Parameter

__all__ = [
    "cached",
    "ParametrizationList",
    "register_parametrization",
    "is_parametrized",
    "remove_parametrizations",
    "type_before_parametrizations",
    "transfer_parametrizations_and_params",
]

_cache_depth = 0
_cache = {}


@contextmanager
def cached():
    """Inside this context each parametrized tensor is computed once and reused (e.g. a recurrent
    kernel read at every step); the values are dropped when the outermost context exits."""
    global _cache, _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache = {}


def _register_parameter_or_buffer(module, name, tensor):
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


class ParametrizationList(ModuleList):
    """``module.parametrizations[name]``: the chain of parametrizations of one tensor and the
    unconstrained tensor(s) it is computed from: ``original``, or ``original0``, ``original1``...
    when the first parametrization's ``right_inverse`` returns several tensors."""

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape, original_dtype = original.shape, original.dtype
        with spindle.no_grad():
            new = original
            for module in reversed(self):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (spindle.Tensor, collections.abc.Sequence)):
            raise ValueError(
                f"'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). Got {type(new).__name__}"
            )
        self.is_tensor = isinstance(new, spindle.Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if original.dtype != new.dtype:
                raise ValueError(
                    "When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                    f"original.dtype: {original.dtype}\nright_inverse(original).dtype: {new.dtype}"
                )
            # The original keeps its identity (optimizers may hold it) and takes the new value.
            with spindle.no_grad():
                original.set_(new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for index, tensor in enumerate(new):
                if not isinstance(tensor, spindle.Tensor):
                    raise ValueError(
                        "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                        f"Got element {index} of the sequence with type {type(tensor).__name__}."
                    )
                if isinstance(original, Parameter):
                    tensor = Parameter(tensor, original.requires_grad)
                tensor.requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{index}", tensor)
        if not self.unsafe:
            value = self()
            if not isinstance(value, spindle.Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(value).__name__}.")
            if value.dtype != original_dtype:
                raise ValueError(
                    "Registering a parametrization may not change the dtype of the tensor, unless `unsafe` flag is "
                    f"enabled.\nunparametrized dtype: {original_dtype}\nparametrized dtype: {value.dtype}"
                )
            if value.shape != original_shape:
                raise ValueError(
                    "Registering a parametrization may not change the shape of the tensor, unless `unsafe` flag is "
                    f"enabled.\nunparametrized shape: {original_shape}\nparametrized shape: {value.shape}"
                )

    def right_inverse(self, value):
        """Set the original tensor(s) so that the parametrized tensor becomes ``value`` (assigning to
        ``module.<name>`` calls this); every parametrization must have a ``right_inverse``."""
        with spindle.no_grad():
            for module in reversed(self):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, spindle.Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                if value.dtype != self.original.dtype:
                    raise ValueError(
                        f"The tensor returned by `right_inverse` has dtype {value.dtype} while `original` has dtype "
                        f"{self.original.dtype}"
                    )
                self.original.set_(value)
                return
            if not isinstance(value, collections.abc.Sequence):
                raise ValueError(f"'right_inverse' must return a sequence of tensors. Got {type(value).__name__}.")
            if len(value) != self.ntensors:
                raise ValueError(
                    f"'right_inverse' must return a sequence of tensors of length {self.ntensors}. Got a sequence of "
                    f"length {len(value)}."
                )
            for index, tensor in enumerate(value):
                original = getattr(self, f"original{index}")
                if not isinstance(tensor, spindle.Tensor):
                    raise ValueError(
                        f"'right_inverse' must return a sequence of tensors or reference-type opaques. Got element "
                        f"{index} of type {type(tensor).__name__}."
                    )
                if original.dtype != tensor.dtype:
                    raise ValueError(
                        f"Tensor {index} returned by `right_inverse` has dtype {tensor.dtype} while `original{index}` "
                        f"has dtype {original.dtype}"
                    )
                original.set_(tensor)

    def forward(self):
        if self.is_tensor:
            value = self[0](self.original)
        else:
            value = self[0](*(getattr(self, f"original{index}") for index in range(self.ntensors)))
        for module in list(self)[1:]:
            value = module(value)
        return value


def _inject_new_class(module):
    """Give ``module`` its own subclass, so that properties set on it affect no other instance."""
    module_class = module.__class__

    def default_deepcopy(self, memo):
        replica = memo.get(id(self))
        if replica is not None:
            return replica
        replica = self.__new__(self.__class__)
        memo[id(self)] = replica
        replica.__dict__ = deepcopy(self.__dict__, memo)
        for slot in copyreg._slotnames(self.__class__):
            if hasattr(self, slot):
                setattr(replica, slot, deepcopy(getattr(self, slot), memo))
        return replica

    def getstate(self):
        raise RuntimeError(
            "Serialization of parametrized modules is only supported through state_dict(). See:\n"
            "https://pytorch.org/tutorials/beginner/saving_loading_models.html"
            "#saving-loading-a-general-checkpoint-for-inference-and-or-resuming-training"
        )

    attributes = {"__getstate__": getstate}
    if not hasattr(module_class, "__deepcopy__"):
        attributes["__deepcopy__"] = default_deepcopy
    module.__class__ = type(f"Parametrized{module_class.__name__}", (module_class,), attributes)


def _inject_property(module, tensor_name):
    """Make ``module.<tensor_name>`` compute its parametrization on read and call its
    ``right_inverse`` on assignment."""
    if hasattr(module, tensor_name):
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self):
        parametrization = self.parametrizations[tensor_name]
        if not _cache_depth:
            return parametrization()
        key = (id(self), tensor_name)
        value = _cache.get(key)
        if value is None:
            value = _cache[key] = parametrization()
        return value

    def set_original(self, value):
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def _check_same_dtype_and_shape(value, reference, message_start, reference_label, value_label):
    if value.dtype != reference.dtype:
        raise ValueError(
            f"{message_start} dtype{reference_label[0]}.\n{reference_label[1]}.dtype: {reference.dtype}\n"
            f"{value_label}dtype: {value.dtype}"
        )
    if value.shape != reference.shape:
        raise ValueError(
            f"{message_start} shape{reference_label[0]}.\n{reference_label[1]}.shape: {reference.shape}\n"
            f"{value_label}shape: {value.shape}"
        )


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Parametrize parameter or buffer ``tensor_name`` of ``module`` by the module ``parametrization``
    (applied after those already registered on it). Unless ``unsafe``, the parametrization must keep
    the tensor's shape and dtype. Returns ``module``."""
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            current = getattr(module, tensor_name)
            value = parametrization(current)
            if not isinstance(value, spindle.Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(value).__name__}.")
            _check_same_dtype_and_shape(
                value, current,
                "Registering a parametrization may not change the",
                (" of the tensor, unless the `unsafe` flag is enabled", f"module.{tensor_name}"),
                f"parametrization(module.{tensor_name}).",
            )
            if hasattr(parametrization, "right_inverse"):
                try:
                    inverse = parametrization.right_inverse(value)
                except NotImplementedError:
                    pass
                else:
                    if not isinstance(inverse, spindle.Tensor):
                        raise ValueError(
                            f"parametrization.right_inverse must return a tensor. Got: {type(inverse).__name__}"
                        )
                    _check_same_dtype_and_shape(
                        inverse, current,
                        "The tensor returned by parametrization.right_inverse must have the same",
                        (f" as module.{tensor_name}, unless the `unsafe` flag is enabled", f"module.{tensor_name}"),
                        "returned ",
                    )
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = parametrizations
    else:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with name '{tensor_name}'"
        )
    return module


def is_parametrized(module, tensor_name=None):
    """Whether ``module`` has any parametrization (or one on ``tensor_name``)."""
    parametrizations = getattr(module, "parametrizations", None)
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Remove the parametrizations of ``tensor_name``: it becomes a plain parameter/buffer holding
    the current parametrized value (``leave_parametrized``) or the unconstrained original. When no
    parametrization is left the module gets its original class back. Returns ``module``."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with spindle.no_grad():
                original.set_(getattr(module, tensor_name))
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = Parameter(value.detach()) if value.requires_grad else value
    else:
        raise ValueError(
            "Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized in terms of a "
            "sequence of tensors."
        )
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module):
    """The class ``module`` had before its first parametrization."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module, to_module, tensor_name=None):
    """Register ``from_module``'s parametrizations (of ``tensor_name``, or all) on ``to_module`` too,
    sharing the original tensors. Returns ``to_module``."""
    if not is_parametrized(from_module):
        return to_module
    for name in (list(from_module.parametrizations) if tensor_name is None else [tensor_name]):
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name)))
        for parametrization in from_module.parametrizations[name]:
            register_parametrization(to_module, name, parametrization)
        source = from_module.parametrizations[name]
        target = to_module.parametrizations[name]
        if hasattr(source, "original"):
            target.original = source.original
        else:
            index = 0
            while hasattr(source, f"original{index}"):
                setattr(target, f"original{index}", getattr(source, f"original{index}"))
                index += 1
    return to_module

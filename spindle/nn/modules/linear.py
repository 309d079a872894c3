"""Affine layers: ``Identity``, ``Linear``, ``Bilinear``."""
import math

import spindle
from spindle.nn import functional as F
from spindle.nn import init
from spindle.nn.parameter import Parameter

from .module import Module

__all__ = ["Identity", "Linear", "Bilinear"]



def register_weight_and_bias(module, weight_shape, bias_features, bias, device, dtype):
    """Register a layer's ``weight`` of ``weight_shape`` and, if ``bias``, its ``bias`` of
    ``bias_features`` (else ``bias`` is registered as None, as in PyTorch), uninitialised."""
    module.weight = Parameter(spindle.empty(weight_shape, device=device, dtype=dtype))
    module.register_parameter(
        "bias", Parameter(spindle.empty(bias_features, device=device, dtype=dtype)) if bias else None
    )


def reset_fan_in_uniform(weight, bias):
    """PyTorch's default initialisation of Linear and Conv layers: ``kaiming_uniform_(a=sqrt(5))``
    weights and a bias uniform in ``+-1/sqrt(fan_in)``."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)

class Identity(Module):
    """Returns its input unchanged; accepts (and ignores) any constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``. Input (*, in_features), output (*, out_features).

    weight (out_features, in_features) ~ kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in));
    bias (out_features,) ~ U(-1/sqrt(in_features), 1/sqrt(in_features)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        register_weight_and_bias(self, (out_features, in_features), out_features, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        reset_fan_in_uniform(self.weight, self.bias)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """``y_k = x1 @ weight[k] @ x2 + bias[k]``. Inputs (*, in1_features) and (*, in2_features),
    output (*, out_features); weight and bias ~ U(-1/sqrt(in1_features), 1/sqrt(in1_features))."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        register_weight_and_bias(self, (out_features, in1_features, in2_features), out_features, bias, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features={self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
            f"out_features={self.out_features}, bias={self.bias is not None}"
        )

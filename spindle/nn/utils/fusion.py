"""Folding an eval-mode BatchNorm into the convolution or linear layer before it."""
import copy

import spindle
from spindle.nn.parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]


def _check_eval(layer, bn):
    if layer.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A copy of ``conv`` computing ``bn(conv(x))`` (both in eval mode) in one convolution."""
    _check_eval(conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias, transpose
    )
    return fused


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The weight and bias (Parameters, in the convolution's dtypes) of a convolution followed by a
    batch norm with running statistics ``bn_rm``/``bn_rv`` (``(channels,)``) and affine ``bn_w``/``bn_b``
    (None for none); ``transpose`` for a transposed convolution (channels on dimension 1)."""
    weight_dtype = conv_w.dtype
    bias_dtype = conv_b.dtype if conv_b is not None else weight_dtype
    if conv_b is None:
        conv_b = spindle.zeros_like(bn_rm)
    if bn_w is None:
        bn_w = spindle.ones_like(bn_rm)
    if bn_b is None:
        bn_b = spindle.zeros_like(bn_rm)
    inverse_std = spindle.rsqrt(bn_rv + bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (conv_w.ndim - 2)
    fused_weight = (conv_w * (bn_w * inverse_std).reshape(shape)).to(dtype=weight_dtype)
    fused_bias = ((conv_b - bn_rm) * inverse_std * bn_w + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_weight, conv_w.requires_grad), Parameter(fused_bias, conv_b.requires_grad)


def fuse_linear_bn_eval(linear, bn):
    """A copy of ``linear`` computing ``bn(linear(x))`` (both in eval mode) in one linear layer."""
    _check_eval(linear, bn)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError(
            "To fuse, linear.out_features == bn.num_features or bn.num_features == 1"
        )
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(
        fused.weight, fused.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
    )
    return fused


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The weight ``(out, in)`` and bias ``(out,)`` (Parameters) of a linear layer followed by a
    batch norm with running statistics ``bn_rm``/``bn_rv`` and affine ``bn_w``/``bn_b``."""
    weight_dtype = linear_w.dtype
    bias_dtype = linear_b.dtype if linear_b is not None else weight_dtype
    if linear_b is None:
        linear_b = spindle.zeros_like(bn_rm)
    bn_scale = bn_w * spindle.rsqrt(bn_rv + bn_eps)
    fused_weight = linear_w * bn_scale.unsqueeze(-1).to(dtype=weight_dtype)
    fused_bias = ((linear_b - bn_rm) * bn_scale + bn_b).to(dtype=bias_dtype)
    return Parameter(fused_weight, linear_w.requires_grad), Parameter(fused_bias, linear_b.requires_grad)

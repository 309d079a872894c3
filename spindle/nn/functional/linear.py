"""Affine maps: ``F.linear`` and ``F.bilinear``."""
import spindle
from spindle.ops.linalg import Linear

__all__ = ["linear", "bilinear"]


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``.

    Shapes: input (*, in_features), weight (out_features, in_features) or (in_features,),
    bias (out_features,) or (); output (*, out_features) (or (*) for a 1-D weight).
    """
    if weight.dim() == 2 and (bias is None or bias.dim() == 1):
        return Linear.apply(input, weight, bias)
    output = spindle.matmul(input, weight.t() if weight.dim() == 2 else weight)
    if bias is not None:
        output = output + bias
    return output


def bilinear(input1, input2, weight, bias=None):
    """``y_k = input1 @ weight[k] @ input2 + bias[k]`` for every output feature k.

    Shapes: input1 (*, in1), input2 (*, in2) with the same leading dims, weight (out, in1, in2),
    bias (out,); output (*, out).
    """
    if input1.dim() != input2.dim():
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {input1.dim()} and {input2.dim()}"
        )
    for i in range(input1.dim() - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {i}: got {input1.shape[i]} and "
                f"{input2.shape[i]}"
            )
    out_features, in1_features, in2_features = weight.shape
    if input1.shape[-1] != in1_features:
        raise RuntimeError(
            f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected {in1_features}"
        )
    if input2.shape[-1] != in2_features:
        raise RuntimeError(
            f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected {in2_features}"
        )
    batch_shape = tuple(input1.shape[:-1])
    left = input1.reshape(-1, in1_features)
    right = input2.reshape(-1, in2_features)
    # (B, in1) @ (in1, out * in2) -> (B, out, in2), then contract in2 against input2.
    projected = spindle.matmul(left, weight.permute(1, 0, 2).reshape(in1_features, out_features * in2_features))
    output = (projected.reshape(-1, out_features, in2_features) * right.unsqueeze(1)).sum(-1)
    if bias is not None:
        output = output + bias
    return output.reshape(batch_shape + (out_features,))

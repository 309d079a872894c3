"""The op table: every differentiable operation, forward on arrays and backward on Tensors together."""
from .op import NonDifferentiableOp, Op, edge_of, sum_to_shape

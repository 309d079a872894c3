"""Elementwise ops: arithmetic with broadcasting and PyTorch's type promotion, unary math, comparisons."""
import collections

import numpy as np

from .. import _dtype
from ..backend.device import namespace_of
from . import op as op_module
from .op import NonDifferentiableOp, Op


def _is_integral(array):
    return array.dtype.kind in "biu"


def _float_array(array):
    """Integer/bool inputs of float-only functions compute in the default float dtype, as in PyTorch."""
    if array.dtype.kind in "biu":
        return array.astype(_dtype.get_default_dtype().numpy_dtype)
    return array


def promote_operands(a, b):
    """The raw operands of a binary op after PyTorch's promotion (tensors become arrays)."""
    Tensor = op_module.Tensor
    a_is_tensor = isinstance(a, Tensor)
    b_is_tensor = isinstance(b, Tensor)
    if a_is_tensor and b_is_tensor:
        a_data, b_data = a._data, b._data
        if a_data.dtype is not b_data.dtype:
            target = _dtype.result_type(a, b).numpy_dtype
            a_data = a_data.astype(target, copy=False)
            b_data = b_data.astype(target, copy=False)
        if type(a_data) is not type(b_data):
            a_data, b_data = _same_device(a, b, a_data, b_data)
        return a_data, b_data
    if a_is_tensor:
        return a._data if type(b) is not float else _float_array(a._data), _plain_scalar(b)
    if b_is_tensor:
        return _plain_scalar(a), b._data if type(a) is not float else _float_array(b._data)
    raise TypeError(f"expected at least one Tensor operand, got {type(a).__name__} and {type(b).__name__}")


def _plain_scalar(value):
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"unsupported operand type: {type(value).__name__} (expected a Tensor or a number)")


def _same_device(a, b, a_data, b_data):
    # A 0-dim CPU tensor may meet a CUDA tensor (PyTorch treats it as a scalar); anything else is an error.
    if a.ndim == 0 and a.device.type == "cpu":
        return a_data.item(), b_data
    if b.ndim == 0 and b.device.type == "cpu":
        return a_data, b_data.item()
    raise RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, {a.device} and {b.device}!"
    )


class BinaryOp(Op):
    """Base of broadcasting binary ops: promotes operands, then ``forward(a, b)`` on arrays/scalars."""

    @classmethod
    def apply(cls, a, b):
        node = cls.__new__(cls)
        a_data, b_data = promote_operands(a, b)
        output = node.forward(a_data, b_data)
        Tensor = op_module.Tensor
        if op_module.state.enabled and cls.differentiable:
            if (isinstance(a, Tensor) and a._requires_grad) or (isinstance(b, Tensor) and b._requires_grad):
                return node.connect(output, (a, b))
        return Tensor._wrap(output)


def _shape_error(a, b, error):
    shape_a = list(np.shape(a))
    shape_b = list(np.shape(b))
    return RuntimeError(
        f"The size of tensor a ({shape_a}) must match the size of tensor b ({shape_b}) at every non-singleton "
        f"dimension (shapes {shape_a} and {shape_b} cannot be broadcast together)"
    )


def broadcast_checked(ufunc, a, b, quiet=False):
    """Apply a NumPy ufunc, turning NumPy's broadcast failure into PyTorch's RuntimeError. With ``quiet``
    (divisions and powers), division by zero gives inf/NaN silently as in PyTorch, where NumPy would warn;
    the other ops skip the cost of switching NumPy's error state."""
    try:
        if not quiet:
            return ufunc(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            return ufunc(a, b)
    except ValueError as error:
        raise _shape_error(a, b, error) from None


class Add(BinaryOp):
    def forward(self, a, b):
        return broadcast_checked(np.add, a, b)

    def backward(self, grad):
        return grad, grad


def _is_bool(operand):
    """Whether an operand (a Tensor, an array or a Python scalar) is boolean."""
    dtype = getattr(operand, "dtype", None)
    if dtype is None:
        return isinstance(operand, bool)
    return operand._data.dtype == np.bool_ if isinstance(operand, op_module.Tensor) else dtype == np.bool_


def _refuse_bool(kernel, a, b):
    """PyTorch has no bool kernel for floor division, remainder, fmod and pow of two bools."""
    if _is_bool(a) and _is_bool(b):
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _refuse_integer_division_by_zero(a, b):
    """Integer division by zero is an error in PyTorch (NumPy would give 0 and warn)."""
    integral = [v.dtype.kind in "biu" if hasattr(v, "dtype") else isinstance(v, int) for v in (a, b)]
    if all(integral) and not np.all(b != 0):
        raise RuntimeError("ZeroDivisionError")


class Sub(BinaryOp):
    @classmethod
    def apply(cls, a, b):
        # Checked before promotion, which would turn a bool operand into the other operand's dtype.
        if _is_bool(a) and _is_bool(b):
            raise RuntimeError(
                "Subtraction, the `-` operator, with two bool tensors is not supported. "
                "Use the `^` or `logical_xor()` operator instead."
            )
        if _is_bool(a) or _is_bool(b):
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. "
                "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return super().apply(a, b)

    def forward(self, a, b):
        return broadcast_checked(np.subtract, a, b)

    def backward(self, grad):
        return grad, -grad


class Mul(BinaryOp):
    save_inputs = (0, 1)

    def forward(self, a, b):
        return broadcast_checked(np.multiply, a, b)

    def backward(self, grad):
        a, b = self.inputs
        return grad * b if self.needs_grad(0) else None, grad * a if self.needs_grad(1) else None


class Div(BinaryOp):
    save_inputs = (0, 1)

    def forward(self, a, b):
        # True division of integers gives the default float dtype (NumPy would give float64).
        if _is_integral(np.asarray(a)) and _is_integral(np.asarray(b)):
            return broadcast_checked(np.true_divide, a, b, quiet=True).astype(_dtype.get_default_dtype().numpy_dtype)
        return broadcast_checked(np.true_divide, a, b, quiet=True)

    def backward(self, grad):
        a, b = self.inputs
        grad_a = grad / b
        return grad_a, -grad_a * a / b if self.needs_grad(1) else None


class FloorDivide(BinaryOp):
    def forward(self, a, b):
        _refuse_bool("div_floor_cpu", a, b)
        _refuse_integer_division_by_zero(a, b)
        return broadcast_checked(np.floor_divide, a, b, quiet=True)

    def backward(self, grad):
        return grad * 0, grad * 0


class Remainder(BinaryOp):
    save_inputs = (0, 1)

    def forward(self, a, b):
        # Python-style modulo (sign of the divisor), which is what torch.remainder and % compute.
        _refuse_bool("remainder_cpu", a, b)
        _refuse_integer_division_by_zero(a, b)
        return broadcast_checked(np.remainder, a, b, quiet=True)

    def backward(self, grad):
        a, b = self.inputs
        return grad, -grad * (a / b).floor() if self.needs_grad(1) else None


class Fmod(BinaryOp):
    save_inputs = (0, 1)

    def forward(self, a, b):
        _refuse_bool("fmod_cpu", a, b)
        _refuse_integer_division_by_zero(a, b)
        return broadcast_checked(np.fmod, a, b, quiet=True)

    def backward(self, grad):
        a, b = self.inputs
        return grad, -grad * (a / b).trunc() if self.needs_grad(1) else None


class Pow(BinaryOp):
    save_inputs = (0, 1)
    save_output = True

    def forward(self, a, b):
        if isinstance(b, int) and not isinstance(b, bool) and b < 0 and _is_integral(np.asarray(a)):
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        _refuse_bool("pow", a, b)
        return broadcast_checked(np.power, a, b, quiet=True)

    def backward(self, grad):
        base, exponent = self.inputs
        Tensor = op_module.Tensor
        grad_base = grad_exponent = None
        if self.needs_grad(0):
            grad_base = grad * 0 if not isinstance(exponent, Tensor) and exponent == 0 else grad * exponent * base.pow(exponent - 1)
        if self.needs_grad(1):
            # d(a^b)/db = a^b log a; where a == 0 and b >= 0 PyTorch defines it as 0.
            output = self.output()
            if isinstance(base, Tensor):
                # An integer base takes its log in the result's dtype, not in the default float dtype.
                log_base = base.to(output.dtype).log()
                grad_exponent = (grad * output * log_base).masked_fill((base == 0) & (exponent >= 0), 0.0)
            elif base > 0:
                grad_exponent = grad * output * float(np.log(base))
            else:
                grad_exponent = grad * output * 0
        return grad_base, grad_exponent


class Maximum(BinaryOp):
    save_inputs = (0, 1)

    def forward(self, a, b):
        return broadcast_checked(np.maximum, a, b)

    def backward(self, grad):
        a, b = self.inputs
        return _split_on_ties(grad, a > b, a == b)


class Minimum(BinaryOp):
    save_inputs = (0, 1)

    def forward(self, a, b):
        return broadcast_checked(np.minimum, a, b)

    def backward(self, grad):
        a, b = self.inputs
        return _split_on_ties(grad, a < b, a == b)


def _split_on_ties(grad, first_wins, tie):
    # PyTorch gives the whole gradient to the winner and half to each side on a tie.
    weight = first_wins.to(grad.dtype) + tie.to(grad.dtype) * 0.5
    return grad * weight, grad * (1 - weight)


class Atan2(BinaryOp):
    save_inputs = (0, 1)

    def forward(self, a, b):
        return broadcast_checked(np.arctan2, _float_array(np.asarray(a)), _float_array(np.asarray(b)))

    def backward(self, grad):
        a, b = self.inputs
        denominator = a * a + b * b
        return grad * b / denominator, -grad * a / denominator


# ---------------------------------------------------------------- comparisons and logic (no gradient)


class Compare(NonDifferentiableOp):
    """``==, !=, <, <=, >, >=`` and logical ops: broadcasting, bool result, never requires grad."""

    @classmethod
    def apply(cls, a, b):
        a_data, b_data = promote_operands(a, b)
        return op_module.Tensor._wrap(broadcast_checked(cls.ufunc, a_data, b_data))


def _comparison(name, ufunc):
    return type(name, (Compare,), {"ufunc": staticmethod(ufunc), "__doc__": f"Elementwise ``{ufunc.__name__}``."})


Equal = _comparison("Equal", np.equal)
NotEqual = _comparison("NotEqual", np.not_equal)
Less = _comparison("Less", np.less)
LessEqual = _comparison("LessEqual", np.less_equal)
Greater = _comparison("Greater", np.greater)
GreaterEqual = _comparison("GreaterEqual", np.greater_equal)
LogicalAnd = _comparison("LogicalAnd", np.logical_and)
LogicalOr = _comparison("LogicalOr", np.logical_or)
LogicalXor = _comparison("LogicalXor", np.logical_xor)


class Bitwise(Compare):
    """``& | ^`` on bool or integer tensors (the result keeps the promoted dtype)."""

    @classmethod
    def apply(cls, a, b):
        a_data, b_data = promote_operands(a, b)
        if np.asarray(a_data).dtype.kind == "f" or np.asarray(b_data).dtype.kind == "f":
            raise NotImplementedError(f"\"{cls.ufunc.__name__}\" not implemented for floating-point tensors")
        return op_module.Tensor._wrap(broadcast_checked(cls.ufunc, a_data, b_data))


BitwiseAnd = type("BitwiseAnd", (Bitwise,), {"ufunc": staticmethod(np.bitwise_and)})
BitwiseOr = type("BitwiseOr", (Bitwise,), {"ufunc": staticmethod(np.bitwise_or)})
BitwiseXor = type("BitwiseXor", (Bitwise,), {"ufunc": staticmethod(np.bitwise_xor)})


# ---------------------------------------------------------------- unary math


class Neg(Op):
    def forward(self, x):
        if x.dtype == np.bool_:
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. "
                "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return np.negative(x)

    def backward(self, grad):
        return -grad


class Abs(Op):
    save_inputs = (0,)

    def forward(self, x):
        return np.abs(x)

    def backward(self, grad):
        return grad * self.inputs[0].sign()


class Sign(Op):
    def forward(self, x):
        return np.sign(x) if x.dtype != np.bool_ else x.copy()

    def backward(self, grad):
        return grad * 0


class Exp(Op):
    save_output = True

    def forward(self, x):
        with np.errstate(over="ignore"):  # overflow to inf is the answer, as in PyTorch
            return np.exp(_float_array(x))

    def backward(self, grad):
        return grad * self.output()


class Exp2(Op):
    save_output = True

    def forward(self, x):
        with np.errstate(over="ignore"):  # overflow to inf is the answer, as in PyTorch
            return np.exp2(_float_array(x))

    def backward(self, grad):
        return grad * self.output() * float(np.log(2.0))


class Log(Op):
    save_inputs = (0,)

    def forward(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(_float_array(x))

    def backward(self, grad):
        return grad / self.inputs[0]


class Log2(Op):
    save_inputs = (0,)

    def forward(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(_float_array(x))

    def backward(self, grad):
        return grad / (self.inputs[0] * float(np.log(2.0)))


class Log10(Op):
    save_inputs = (0,)

    def forward(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(_float_array(x))

    def backward(self, grad):
        return grad / (self.inputs[0] * float(np.log(10.0)))


class Log1p(Op):
    save_inputs = (0,)

    def forward(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(_float_array(x))

    def backward(self, grad):
        return grad / (self.inputs[0] + 1)


class Expm1(Op):
    save_output = True

    def forward(self, x):
        with np.errstate(over="ignore"):  # overflow to inf is the answer, as in PyTorch
            return np.expm1(_float_array(x))

    def backward(self, grad):
        return grad * (self.output() + 1)


class Sqrt(Op):
    save_output = True

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            return np.sqrt(_float_array(x))

    def backward(self, grad):
        return grad / (self.output() * 2)


class Rsqrt(Op):
    save_output = True

    def forward(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1 / np.sqrt(_float_array(x))

    def backward(self, grad):
        output = self.output()
        return grad * output * output * output * -0.5


class Reciprocal(Op):
    save_output = True

    def forward(self, x):
        with np.errstate(divide="ignore"):
            return 1 / _float_array(x)

    def backward(self, grad):
        output = self.output()
        return -grad * output * output


class Sin(Op):
    save_inputs = (0,)

    def forward(self, x):
        return np.sin(_float_array(x))

    def backward(self, grad):
        return grad * self.inputs[0].cos()


class Cos(Op):
    save_inputs = (0,)

    def forward(self, x):
        return np.cos(_float_array(x))

    def backward(self, grad):
        return -grad * self.inputs[0].sin()


class Tan(Op):
    save_output = True

    def forward(self, x):
        return np.tan(_float_array(x))

    def backward(self, grad):
        output = self.output()
        return grad * (1 + output * output)


class Tanh(Op):
    save_output = True

    def forward(self, x):
        return np.tanh(_float_array(x))

    def backward(self, grad):
        output = self.output()
        return grad * (1 - output * output)


class Sigmoid(Op):
    save_output = True

    def forward(self, x):
        # 1 / (1 + exp(-x)) is stable as it stands: exp(-x) overflows to inf only where the answer is 0,
        # and 1 / (1 + inf) is exactly 0 (no NaN); tiny results keep their relative precision.
        with np.errstate(over="ignore"):
            # ensure_array: NumPy returns a scalar for a 0-dim input, which cannot be written in place.
            result = op_module.ensure_array(np.exp(np.negative(_float_array(x))))
        result += 1
        return np.reciprocal(result, out=result)

    def backward(self, grad):
        output = self.output()
        return grad * output * (1 - output)


class Asin(Op):
    save_inputs = (0,)

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            return np.arcsin(_float_array(x))

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (1 - x * x).rsqrt()


class Acos(Op):
    save_inputs = (0,)

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            return np.arccos(_float_array(x))

    def backward(self, grad):
        x = self.inputs[0]
        return -grad * (1 - x * x).rsqrt()


class Atan(Op):
    save_inputs = (0,)

    def forward(self, x):
        return np.arctan(_float_array(x))

    def backward(self, grad):
        x = self.inputs[0]
        return grad / (1 + x * x)


class Sinh(Op):
    save_inputs = (0,)

    def forward(self, x):
        return np.sinh(_float_array(x))

    def backward(self, grad):
        return grad * self.inputs[0].cosh()


class Cosh(Op):
    save_inputs = (0,)

    def forward(self, x):
        return np.cosh(_float_array(x))

    def backward(self, grad):
        return grad * self.inputs[0].sinh()


class Relu(Op):
    def forward(self, x):
        output = np.maximum(x, 0)
        self.mask = output > 0
        return output

    def backward(self, grad):
        return grad * op_module.Tensor._wrap(self.mask)


class Clamp(Op):
    """``clamp(x, min, max)`` with number bounds; the gradient passes where ``min <= x <= max``."""

    def forward(self, x, minimum, maximum):
        if minimum is None and maximum is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if type(minimum) is float or type(maximum) is float:
            x = _float_array(x)
        output = x
        mask = None
        if minimum is not None:
            mask = x >= minimum
            output = np.maximum(output, minimum)
        if maximum is not None:
            upper = x <= maximum
            mask = upper if mask is None else mask & upper
            output = np.minimum(output, maximum)
        if output is x:
            output = x.copy()
        self.mask = mask
        return output

    def backward(self, grad):
        return grad * op_module.Tensor._wrap(self.mask)


class Rounding(Op):
    """floor/ceil/round/trunc/frac-like ops whose gradient is zero almost everywhere."""

    def forward(self, x):
        if _is_integral(x):
            return x.copy()
        return self.function(x)

    def backward(self, grad):
        return grad * 0


Floor = type("Floor", (Rounding,), {"function": staticmethod(np.floor)})
Ceil = type("Ceil", (Rounding,), {"function": staticmethod(np.ceil)})
Trunc = type("Trunc", (Rounding,), {"function": staticmethod(np.trunc)})


class Round(Rounding):
    def forward(self, x, decimals=0):
        if _is_integral(x):
            return x.copy()
        # NumPy rounds half to even, like PyTorch.
        return np.round(x, decimals)


class LogicalNot(NonDifferentiableOp):
    def forward(self, x):
        return np.logical_not(x)


class BitwiseNot(NonDifferentiableOp):
    def forward(self, x):
        if x.dtype.kind == "f":
            raise TypeError("~ (bitwise_not) is only supported for integer and bool tensors, got a floating-point tensor")
        return np.invert(x)


class IsNan(NonDifferentiableOp):
    def forward(self, x):
        return np.isnan(x)


class IsInf(NonDifferentiableOp):
    def forward(self, x):
        return np.isinf(x)


class IsFinite(NonDifferentiableOp):
    def forward(self, x):
        return np.isfinite(x)


class Where(Op):
    """``where(condition, a, b)``: ``a`` where condition holds, else ``b`` (all broadcast)."""

    def forward(self, condition, a, b):
        self.condition = condition
        if condition.dtype != np.bool_:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {condition.dtype}")
        try:
            return np.where(condition, a, b)
        except ValueError:
            raise RuntimeError(
                f"where: the condition of shape {list(condition.shape)}, input of shape {list(np.shape(a))} and "
                f"other of shape {list(np.shape(b))} cannot be broadcast together"
            ) from None

    @classmethod
    def apply(cls, condition, a, b):
        Tensor = op_module.Tensor
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            a_data, b_data = promote_operands(a, b)
        else:
            value_dtype = _dtype.result_type(a, b).numpy_dtype
            a_data, b_data = np.asarray(a, value_dtype), np.asarray(b, value_dtype)
        node = cls.__new__(cls)
        output = node.forward(condition._data, a_data, b_data)
        if op_module.state.enabled and any(isinstance(v, Tensor) and v._requires_grad for v in (a, b)):
            return node.connect(output, (condition, a, b))
        return Tensor._wrap(output)

    def backward(self, grad):
        condition = op_module.Tensor._wrap(self.condition)
        # Real zeros, not grad * 0, which would turn an infinite gradient into NaN.
        zero = op_module.Tensor._wrap(namespace_of(grad._data).zeros((), dtype=grad._data.dtype))
        return None, grad.where(condition, zero), zero.where(condition, grad)


class Lerp(Op):
    """``lerp(start, end, weight) = start + weight * (end - start)``."""

    save_inputs = (0, 1, 2)

    def forward(self, start, end, weight):
        return start + weight * (end - start)

    def backward(self, grad):
        start, end, weight = self.inputs
        Tensor = op_module.Tensor
        grads = [grad * (1 - weight), grad * weight]
        if isinstance(weight, Tensor):
            grads.append(grad * (end - start))
        return tuple(grads)


# ---------------------------------------------------------------- the error function
#
# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969), 631-638,
# with the coefficients of his CALERF routine (near-minimax, good to about 18 significant digits).
# Each list holds a polynomial's coefficients from the highest power down, for Horner's rule.

# erf(x) = x * P(x^2) / Q(x^2) for |x| <= 0.46875
_ERF_SMALL_NUMERATOR = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
                        3.77485237685302021e02, 3.20937758913846947e03)
_ERF_SMALL_DENOMINATOR = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
                          2.84423683343917062e03)
# erfc(y) = exp(-y^2) * P(y) / Q(y) for 0.46875 < y <= 4
_ERFC_MEDIUM_NUMERATOR = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
                          6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
                          1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03)
_ERFC_MEDIUM_DENOMINATOR = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
                            1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
                            3.43936767414372164e03, 1.23033935480374942e03)
# erfc(y) = exp(-y^2) / y * (1/sqrt(pi) - z * P(z) / Q(z)) with z = 1/y^2, for y > 4
_ERFC_LARGE_NUMERATOR = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
                         1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_ERFC_LARGE_DENOMINATOR = (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
                           6.05183413124413191e-2, 2.33520497626869185e-3)
_ERF_SMALL_LIMIT = 0.46875
_ONE_OVER_SQRT_PI = 0.56418958354775628695


def _rational(numerator, denominator, z):
    """``numerator(z) / denominator(z)`` by Horner's rule (coefficients from the highest power down),
    updating one buffer per polynomial in place: no temporary per coefficient."""
    return _horner(numerator, z) / _horner(denominator, z)


def _horner(coefficients, z):
    value = z * coefficients[0]
    value += coefficients[1]
    for coefficient in coefficients[2:]:
        value *= z
        value += coefficient
    return value


def _exp_minus_square(y):
    """exp(-y^2). In float64 it is evaluated as exp(-a^2) * exp(-(y - a)(y + a)) with a = y rounded down to
    1/16, which keeps the rounding error of y*y from being magnified by the exponential (Cody's trick);
    float32 has no digits to lose there."""
    if y.dtype != np.float64:
        return np.exp(-y * y)
    rounded = np.trunc(y * 16) / 16
    return np.exp(-rounded * rounded) * np.exp(-(y - rounded) * (y + rounded))


def _erfc_of_large_abs(y):
    """erfc(y) for y > 0.46875 (any shape), in y's precision: Cody's medium branch up to 4, large beyond."""
    result = np.empty_like(y)
    medium = y <= 4
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        _fill_where(result, medium, y, lambda v: _rational(_ERFC_MEDIUM_NUMERATOR, _ERFC_MEDIUM_DENOMINATOR, v))

        def large(v):
            inverse_square = 1 / (v * v)
            return (_ONE_OVER_SQRT_PI - inverse_square * _rational(_ERFC_LARGE_NUMERATOR, _ERFC_LARGE_DENOMINATOR,
                                                                  inverse_square)) / v

        _fill_where(result, ~medium, y, large)
        result *= _exp_minus_square(y)
    result[np.isinf(y)] = 0.0  # the large branch computes inf * 0 there; erfc(inf) is 0
    return result


def _fill_where(result, mask, values, function):
    """``result[mask] = function(values[mask])``, computing ``function`` only on the selected elements."""
    if mask.all():
        result[...] = function(values)
    elif mask.any():
        result[mask] = function(values[mask])


def _erf_branches(x, small_function, large_function):
    """Evaluate erf-family functions branch by branch: ``small_function(x)`` where |x| <= 0.46875 and
    ``large_function(x, erfc(|x|))`` elsewhere, each only on its own elements, in x's precision."""
    x = x if x.dtype in (np.float32, np.float64) else x.astype(np.float32)
    result = np.empty_like(x)
    small = np.abs(x) <= _ERF_SMALL_LIMIT
    _fill_where(result, small, x, small_function)
    _fill_where(result, ~small, x, lambda v: large_function(v, _erfc_of_large_abs(np.abs(v))))
    return result


def _erf_small(x):
    return x * _rational(_ERF_SMALL_NUMERATOR, _ERF_SMALL_DENOMINATOR, x * x)


def error_function(x):
    """erf(x) of a float array, to a few units in the last place of its precision."""
    return _erf_branches(x, _erf_small, lambda v, erfc_abs: np.copysign((0.5 - erfc_abs) + 0.5, v)).astype(x.dtype)


def complementary_error_function(x):
    """erfc(x) = 1 - erf(x) of a float array, without the cancellation of computing 1 - erf(x)."""
    return _erf_branches(
        x, lambda v: 1 - _erf_small(v), lambda v, erfc_abs: np.where(v < 0, 2 - erfc_abs, erfc_abs)
    ).astype(x.dtype)


_TWO_OVER_SQRT_PI = 2 * _ONE_OVER_SQRT_PI


class Erf(Op):
    """The error function ``erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt``; d/dx = 2/sqrt(pi) exp(-x^2)."""

    save_inputs = (0,)

    def forward(self, x):
        return error_function(_float_array(x))

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (-(x * x)).exp() * _TWO_OVER_SQRT_PI


class Erfc(Op):
    """The complementary error function ``erfc(x) = 1 - erf(x)``; d/dx = -2/sqrt(pi) exp(-x^2)."""

    save_inputs = (0,)

    def forward(self, x):
        return complementary_error_function(_float_array(x))

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (-(x * x)).exp() * -_TWO_OVER_SQRT_PI


# ---------------------------------------------------------------- more unary math


class Asinh(Op):
    save_inputs = (0,)

    def forward(self, x):
        return np.arcsinh(_float_array(x))

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (x * x + 1).rsqrt()


class Acosh(Op):
    save_inputs = (0,)

    def forward(self, x):
        with np.errstate(invalid="ignore"):
            return np.arccosh(_float_array(x))

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (x * x - 1).rsqrt()


class Atanh(Op):
    save_inputs = (0,)

    def forward(self, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.arctanh(_float_array(x))

    def backward(self, grad):
        x = self.inputs[0]
        return grad / (1 - x * x)


class Sinc(Op):
    """``sinc(x) = sin(pi x) / (pi x)``, 1 at 0; d/dx = (pi x cos(pi x) - sin(pi x)) / (pi x^2), 0 at 0
    (PyTorch's formula and order of operations: the cancellation near its zeros rounds alike)."""

    save_inputs = (0,)

    def forward(self, x):
        x = _float_array(x)
        product = x * np.pi
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(x == 0, 1, np.sin(product) / product).astype(x.dtype)

    def backward(self, grad):
        x = self.inputs[0]
        at_zero = x == 0
        # A denominator of 1 at 0 keeps the discarded branch finite, so double backward gives no NaN.
        safe = x.masked_fill(at_zero, 1.0)
        product = safe * np.pi
        return grad * ((product * product.cos() - product.sin()) / (product * safe)).masked_fill(at_zero, 0.0)


class ZeroGradient(Op):
    """``values`` recorded as a function of ``x`` and ``other`` with zero gradients: the history that
    PyTorch gives a tensor overwritten in place by a comparison (``x.eq_(y)`` in a graph)."""

    def forward(self, x, values, other):
        return values

    def backward(self, grad):
        zeros = op_module.Tensor._wrap(namespace_of(grad._data).zeros_like(grad._data))
        return zeros, None, zeros


# ---------------------------------------------------------------- more binary math


def _float_operands(a, b):
    """Promoted operands of a float-only function, integers (and bools) in the default float dtype."""
    a = _float_array(a) if hasattr(a, "dtype") else float(a)
    b = _float_array(b) if hasattr(b, "dtype") else float(b)
    return a, b


def _require_floating(kernel, a, b):
    """PyTorch's float-only binary kernels (logaddexp, hypot, nextafter) refuse integer operands."""
    for operand in (a, b):
        if hasattr(operand, "dtype") and operand.dtype.kind in "biu":
            raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{_scalar_name(operand.dtype)}'")


def _require_integral(kernel, a, b):
    """PyTorch's integer-only binary kernels (gcd, lcm) refuse floating operands."""
    for operand in (a, b):
        if hasattr(operand, "dtype") and operand.dtype.kind not in "biu":
            raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{_scalar_name(operand.dtype)}'")


def _scalar_name(numpy_dtype):
    """PyTorch's name of a dtype in error messages ("Float", "Long")."""
    from ..tensor import _LEGACY_SCALAR_NAMES  # the Tensor layer sits above the ops

    return _LEGACY_SCALAR_NAMES[numpy_dtype.name]


class Xlogy(BinaryOp):
    """``x * log(y)``, defined as 0 where x == 0 (unless y is NaN)."""

    save_inputs = (0, 1)

    def forward(self, a, b):
        a, b = _float_operands(a, b)
        with np.errstate(divide="ignore", invalid="ignore"):
            # float(): the log of a Python number stays a weak scalar that does not widen float32 tensors.
            product = broadcast_checked(np.multiply, a, np.log(b) if hasattr(b, "dtype") else float(np.log(b)))
        return np.where((a == 0) & ~np.isnan(b), 0, product).astype(product.dtype)

    def backward(self, grad):
        a, b = self.inputs
        # log(y) * grad, 0 where x == 0 and y <= 0 (where log(y) is -inf or NaN), as PyTorch's.
        grad_a = Xlogy.apply(grad, b).masked_fill((a == 0) & (b <= 0), 0.0) if self.needs_grad(0) else None
        return grad_a, grad * a / b if self.needs_grad(1) else None


class LogAddExp(BinaryOp):
    """``log(exp(a) + exp(b))`` without overflow: max(a, b) + log1p(exp(-|a - b|)); ``base2`` for logaddexp2."""

    save_inputs = (0, 1)
    kernel = "logaddexp"

    def forward(self, a, b):
        _require_floating(self.kernel, a, b)
        with np.errstate(invalid="ignore", over="ignore"):
            larger = broadcast_checked(np.maximum, a, b)
            distance = -np.abs(np.subtract(a, b))
            combined = larger + self.log1p_exp(distance)
            # Equal infinities would give inf - inf = NaN above; their sum is the infinity itself.
            return np.where(np.isinf(a) & (a == b), a, combined).astype(combined.dtype)

    @staticmethod
    def log1p_exp(distance):
        return np.log1p(np.exp(distance))

    def backward(self, grad):
        a, b = self.inputs
        return grad / ((b - a).exp() + 1), grad / ((a - b).exp() + 1)


_LOG_TWO = float(np.log(2.0))


class LogAddExp2(LogAddExp):
    kernel = "logaddexp2"

    @staticmethod
    def log1p_exp(distance):
        return np.log1p(np.exp2(distance)) / _LOG_TWO

    def backward(self, grad):
        a, b = self.inputs
        return grad / ((b - a).exp2() + 1), grad / ((a - b).exp2() + 1)


class Hypot(BinaryOp):
    save_inputs = (0, 1)
    save_output = True

    def forward(self, a, b):
        _require_floating("hypot", a, b)
        return broadcast_checked(np.hypot, a, b)

    def backward(self, grad):
        a, b = self.inputs
        output = self.output()
        return grad * a / output, grad * b / output if self.needs_grad(1) else None


class Copysign(BinaryOp):
    """|a| with the sign of b; the gradient reaches ``a`` only (``b`` gets zeros), as in PyTorch."""

    save_inputs = (0, 1)

    def forward(self, a, b):
        return broadcast_checked(np.copysign, *_float_operands(a, b))

    def backward(self, grad):
        Tensor = op_module.Tensor
        a, b = _float_operands(*promote_operands(*self.inputs))
        # d copysign(a, b)/da = sign(a) sign(b) (0 at a == 0), kept as data: its own derivative is zero.
        ratio = np.where(a == 0, 0, np.copysign(1, a) * np.copysign(1, b)).astype(grad._data.dtype)
        grad_b = Tensor._wrap(namespace_of(grad._data).zeros(grad.shape, grad._data.dtype)) if self.needs_grad(1) else None
        return grad * Tensor._wrap(ratio), grad_b


class NoDerivative(BinaryOp):
    """A binary op whose result requires grad when an input does, but whose backward raises, as
    PyTorch's heaviside and nextafter do."""

    def backward(self, grad):
        raise RuntimeError(f"derivative for aten::{self.kernel} is not implemented")


class Heaviside(NoDerivative):
    """The step function: 0 for x < 0, ``values`` at 0, 1 for x > 0."""

    kernel = "heaviside"

    def forward(self, x, values):
        return np.where(x == 0, values, np.greater(x, 0).astype(x.dtype)).astype(x.dtype)

    @classmethod
    def apply(cls, x, values):
        Tensor = op_module.Tensor
        if not isinstance(values, Tensor):
            raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
        if x._data.dtype != values._data.dtype:
            raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
        return super().apply(x, values)


class GreatestCommonDivisor(BinaryOp):
    differentiable = False

    def forward(self, a, b):
        _require_integral("gcd", a, b)
        return broadcast_checked(np.gcd, a, b)


class LeastCommonMultiple(BinaryOp):
    differentiable = False

    def forward(self, a, b):
        _require_integral("lcm", a, b)
        return broadcast_checked(np.lcm, a, b)


# What ``frexp`` returns: the named pair of ``torch.return_types.frexp``.
FrexpResult = collections.namedtuple("frexp", ["mantissa", "exponent"])


class NextAfter(NoDerivative):
    kernel = "nextafter"

    def forward(self, a, b):
        _require_floating("nextafter", a, b)
        return broadcast_checked(np.nextafter, a, b)


# ---------------------------------------------------------------- special functions
#
# The algorithms are those of PyTorch's ATen/native/Math.h (from Cephes) where that keeps poles and special
# values as PyTorch's, with faster ones where the result is as accurate. Most compute in float64 whatever
# the input's float dtype, then round to it: float32 results come out correctly rounded or nearly so.
# Large arrays go through in blocks whose float64 temporaries stay in the L2 cache: a function of a dozen
# passes then reads main memory once, not a dozen times.

_SPECIAL_BLOCK_ELEMENTS = 1 << 14


def _blockwise(function):
    """Wrap ``function(flat block of x, *args)`` (a 1-D array in x's float dtype, returning values that
    round to it) to take any float array (integers: the default float dtype) and return x's shape and float
    dtype. On NumPy it is called on consecutive blocks of ``_SPECIAL_BLOCK_ELEMENTS``; on a GPU on the whole."""

    def wrapped(x, *args):
        x = _float_array(x)
        namespace = namespace_of(x)
        # Flat: NumPy gives scalars, not arrays, for 0-dim operands, and the branches write into arrays.
        flat = namespace.ascontiguousarray(x).reshape(-1)
        if namespace is not np or flat.size <= _SPECIAL_BLOCK_ELEMENTS:
            return function(flat, *args).astype(x.dtype).reshape(x.shape)
        result = np.empty_like(flat)
        for start in range(0, flat.size, _SPECIAL_BLOCK_ELEMENTS):
            block = slice(start, start + _SPECIAL_BLOCK_ELEMENTS)
            result[block] = function(flat[block], *args)
        return result.reshape(x.shape)

    return wrapped


def _chebyshev(x, coefficients):
    """Cephes ``chbevl``: a Chebyshev series at ``x`` (coefficients from the highest order down) by
    Clenshaw's recurrence, rotating three buffers in place."""
    current = namespace_of(x).full_like(x, coefficients[0])
    previous, previous_but_one = np.zeros_like(x), np.zeros_like(x)
    for coefficient in coefficients[1:]:
        previous_but_one, previous, current = previous, current, previous_but_one
        np.multiply(x, previous, out=current)
        current -= previous_but_one
        current += coefficient
    current -= previous_but_one
    current *= 0.5
    return current


def _sin_pi(x):
    """sin(pi x) without the rounding error of pi x for large |x|: reduced first to [-1/2, 1/2]."""
    return np.sin(np.pi * (x - np.round(x))) * np.where(np.round(x) % 2 == 0, 1.0, -1.0)


def _hurwitz_zeta(s, q):
    """Hurwitz zeta ``sum_k (k + q)^-s`` (Cephes ``zeta``, PyTorch's): direct sum until k + q > 9, then
    the Euler-Maclaurin tail. ``s``: a number > 1; ``q``: a float64 array."""
    namespace = namespace_of(q)
    epsilon = 1.11022302462515654042e-16
    if s == 1:
        return namespace.full_like(q, np.inf)
    if s < 1:
        return namespace.full_like(q, np.nan)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        total = np.power(q, -s)
        shifted = q.copy()
        term = namespace.zeros_like(q)
        done = namespace.zeros(q.shape, dtype=bool)
        step = 0
        while True:
            active = ~done & ((step < 9) | (shifted <= 9))
            if not active.any():
                break
            step += 1
            shifted = np.where(active, shifted + 1, shifted)
            term = np.where(active, np.power(shifted, -s), term)
            total = np.where(active, total + term, total)
            done |= active & (-epsilon * total < term) & (term < epsilon * total)
        total = np.where(done, total, total + term * shifted / (s - 1) - 0.5 * term)
        factor, k = 1.0, 0.0
        for bernoulli_denominator in _ZETA_EULER_MACLAURIN:
            factor *= s + k
            term = term / shifted
            correction = factor * term / bernoulli_denominator
            total = np.where(done, total, total + correction)
            done |= np.abs(correction / total) < epsilon
            k += 1.0
            factor *= s + k
            term = term / shifted
            k += 1.0
    poles = (q <= 0) & (q == np.floor(q))
    total = np.where(poles, np.inf, total)
    if s != np.floor(s):
        total = np.where((q <= 0) & ~poles, np.nan, total)
    return total


_ZETA_EULER_MACLAURIN = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
                         -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
                         1.8152105401943546773e17, -7.1661652561756670113e18)
# zeta(k) - 1 for k = 2, 3, ...: the Taylor coefficients of lgamma around 2 (see _log_gamma_near_two).
_ZETA_MINUS_ONE = tuple(float(_hurwitz_zeta(float(k), np.array(2.0))) for k in range(2, 30))
_EULER_GAMMA = 0.57721566490153286061
_HALF_LOG_TWO_PI = 0.91893853320467274178
# lgamma(2 + z) = (1 - gamma) z + sum_k (-1)^k (zeta(k) - 1) z^k / k, from the highest power down. For
# |z| <= 1/2 the k-th term is below 4^-k: 28 terms reach float64's precision, 15 float32's.
_LOG_GAMMA_TAYLOR = tuple((-1) ** k * _ZETA_MINUS_ONE[k - 2] / k for k in range(29, 1, -1)) + (1 - _EULER_GAMMA,)
# Lanczos' approximation with g = 7, n = 9 (relative error about 1e-15 for x >= 1/2):
# Gamma(x) = sqrt(2 pi) t^(x - 1/2) exp(-t) (c_0 + sum_k c_k / (x - 1 + k)), t = x + g - 1/2.
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7)


def _log_gamma_near_zeros(x, terms):
    """lgamma(x) for 0 < x < 2.5 by the Taylor series of lgamma(2 + z) in z = x - 2, x - 1 or x (each exact),
    with lgamma(x) = lgamma(x + 1) - log x once or twice: full relative precision at the zeros 1 and 2."""
    shift = np.minimum(np.floor(x + 0.5), 2.0)  # 0 below 1/2, 1 below 3/2, else 2: |z| <= 1/2
    z = x - shift
    # lgamma(x) = lgamma(2 + z) - log(x (x + 1)) for shift 0, - log(x) for 1, - log(1) for 2.
    divisor = np.where(shift == 0, x * (x + 1), np.where(shift == 1, x, 1.0))
    result = _horner(_LOG_GAMMA_TAYLOR[-terms:], z)
    result *= z
    result -= np.log(divisor, out=divisor)
    return result


def _log_gamma_lanczos(x):
    """lgamma(x) for x >= 2.5 (and inf, NaN): Lanczos' sum, with (x - 1/2) log t - t written
    (x - 1/2)(log t - 1) - g so that it overflows only where lgamma does (x > 2.5e305)."""
    total = np.full_like(x, _LANCZOS[0])
    term = np.empty_like(x)
    for k, coefficient in enumerate(_LANCZOS[1:]):
        np.add(x, k, out=term)
        np.divide(coefficient, term, out=term)
        total += term
    np.log(total, out=total)
    np.add(x, _LANCZOS_G - 0.5, out=term)
    np.log(term, out=term)
    term -= 1
    term *= x - 0.5
    total += term
    total += _HALF_LOG_TWO_PI - _LANCZOS_G
    return total


def _log_gamma_positive(x, terms):
    """lgamma(x) for x > 0 (and inf, NaN), each branch computed only on its own elements."""
    result = np.empty_like(x)
    near_zeros = x < 2.5
    _fill_where(result, near_zeros, x, lambda v: _log_gamma_near_zeros(v, terms))
    _fill_where(result, ~near_zeros, x, _log_gamma_lanczos)
    return result


@_blockwise
def log_gamma(x):
    """lgamma(x) = log|Gamma(x)|: reflection for x < 0, inf at the poles (x = 0, -1, ...) and at -inf."""
    terms = len(_LOG_GAMMA_TAYLOR) if x.dtype == np.float64 else 15
    x = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        negative = x < 0
        if not negative.any():
            result = _log_gamma_positive(x, terms)
        else:
            result = _log_gamma_positive(np.where(negative, 1 - x, x), terms)
            reflected = result[negative]
            reflected -= np.log(np.pi / np.abs(_sin_pi(x[negative])))
            reflected *= -1
            result[negative] = reflected
        result[(x <= 0) & (x == np.floor(x))] = np.inf  # the poles, and -inf (where sin(pi x) is NaN)
    return result


_DIGAMMA_ASYMPTOTIC = (8.33333333333333333333e-2, -2.10927960927960927961e-2, 7.57575757575757575758e-3,
                       -4.16666666666666666667e-3, 3.96825396825396825397e-3, -8.33333333333333333333e-3,
                       8.33333333333333333333e-2)
_DIGAMMA_SHIFT = 10


def _digamma_positive(x):
    """digamma for x >= 0 (PyTorch's calc_digamma): below 10, digamma(x) = digamma(x + 10) - sum_{k<10}
    1/(x + k), a fixed number of steps (no per-element loop); then the asymptotic series. At +-0 the sum's
    first term 1/x gives -inf at +0 and inf at -0, as in PyTorch."""
    small = x < _DIGAMMA_SHIFT
    shifted = np.where(small, x + _DIGAMMA_SHIFT, x)
    recurrence, term = np.divide(1.0, x), np.empty_like(x)  # 1/x, not 1/(x + 0): that is +0 at -0
    for k in range(1, _DIGAMMA_SHIFT):
        np.add(x, k, out=term)
        np.divide(1.0, term, out=term)
        recurrence += term
    recurrence *= small
    inverse_square = np.multiply(shifted, shifted)
    np.divide(1.0, inverse_square, out=inverse_square)
    series = _horner(_DIGAMMA_ASYMPTOTIC, inverse_square)
    series *= inverse_square
    # log(shifted) - 1/(2 shifted) - series - recurrence
    np.divide(-0.5, shifted, out=term)
    term -= series
    term -= recurrence
    term += np.log(shifted, out=shifted)
    return term


@_blockwise
def digamma_function(x):
    """digamma(x) = d lgamma / dx: -inf at +0 (inf at -0), NaN at negative integers and -inf; reflection
    digamma(x) = digamma(1 - x) - pi / tan(pi x) for x < 0."""
    x = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        negative = x < 0
        if not negative.any():
            return _digamma_positive(x)
        result = _digamma_positive(np.where(negative, 1 - x, x))
        fraction = x[negative]
        fraction -= np.trunc(fraction)
        cotangent = np.pi / np.tan(np.pi * fraction)
        cotangent[fraction == 0] = np.nan  # the poles: tan(0) would give an infinity
        result[negative] -= cotangent
    return result


@_blockwise
def _trigamma(x):
    """polygamma(1, x) (PyTorch's calc_trigamma): reflection below 1/2, six recurrence steps, asymptotics."""
    x = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflected = x < 0.5
        any_reflected = reflected.any()
        shifted = np.where(reflected, 1 - x, x) if any_reflected else x.copy()
        result, term = np.zeros_like(x), np.empty_like(x)
        for _ in range(6):
            np.multiply(shifted, shifted, out=term)
            np.divide(1.0, term, out=term)
            result += term
            shifted += 1
        inverse_square = np.multiply(shifted, shifted)
        np.divide(1.0, inverse_square, out=inverse_square)
        # (1 + 1/(2 s) + (1/6 - (1/30 - 1/(42 s^2)) / s^2) / s^2) / s
        series = _horner((-1 / 42, 1 / 30), inverse_square)
        np.subtract(1 / 6, series * inverse_square, out=series)
        series *= inverse_square
        np.divide(0.5, shifted, out=term)
        series += term
        series += 1
        series /= shifted
        result += series
        if any_reflected:
            sin_pi_x = np.sin(np.pi * x[reflected])
            result[reflected] = (np.pi * np.pi) / (sin_pi_x * sin_pi_x) - result[reflected]
        return result


@_blockwise
def _polygamma_by_zeta(x, order):
    """polygamma(order, x) = (-1)^(order + 1) order! zeta(order + 1, x) for order >= 2."""
    sign = 1.0 if order % 2 else -1.0
    with np.errstate(over="ignore", invalid="ignore"):
        return sign * float(np.exp(log_gamma(np.array(order + 1.0)))) * _hurwitz_zeta(order + 1.0, x.astype(np.float64))


def polygamma_function(x, order):
    """The ``order``-th derivative of digamma of a float array."""
    if order == 0:
        return digamma_function(x)
    if order == 1:
        return _trigamma(x)
    return _polygamma_by_zeta(x, order)


# Giles, "Approximating the erfinv function", GPU Computing Gems (2011), single precision:
# erfinv(y) = y * p(w) with w = -log((1 - y)(1 + y)), one polynomial in w - 2.5 below 5, one in sqrt(w) - 3
# beyond (coefficients from the highest power down). Relative error a few 1e-7: float32's own.
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503,
                  -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613,
               0.00943887047, 1.00167406, 2.83297682)


def _giles_erfinv(y):
    """Giles' single-precision erfinv in y's precision; +-inf at +-1, NaN outside [-1, 1]."""
    w = 1 - y
    w *= 1 + y
    np.log(w, out=w)
    np.negative(w, out=w)
    central = _horner(_GILES_CENTRAL, w - 2.5)
    np.sqrt(w, out=w)
    w -= 3
    result = np.where(w < np.sqrt(5.0) - 3, central, _horner(_GILES_TAIL, w))
    result *= y
    edge = np.abs(y) == 1
    if edge.any():
        result[edge] = np.copysign(np.inf, y[edge])
    return result


def _refine_erfinv(x, y):
    """One Halley step for erf(x) = y >= 0 from x >= 0: from a relative error ~1e-7, cubic convergence
    reaches float64's precision.
    The residual is erf(x) - y below 0.46875 and (1 - y) - erfc(x) above: 1 - y is exact there, so the
    residual keeps its relative precision as y nears 1."""
    residual = np.empty_like(x)
    small = x <= _ERF_SMALL_LIMIT
    _fill_where(residual, small, x, _erf_small)
    _fill_where(residual, ~small, x, lambda v: -_erfc_of_large_abs(v))
    residual -= np.where(small, y, y - 1)
    # Halley: x - u / (1 + x u) with u = residual / erf'(x), erf'(x) = 2/sqrt(pi) exp(-x^2), erf'' = -2x erf'.
    step = np.multiply(x, x)
    np.negative(step, out=step)
    np.exp(step, out=step)
    step *= _TWO_OVER_SQRT_PI
    np.divide(residual, step, out=step)
    denominator = x * step
    denominator += 1
    step /= denominator
    return x - step


@_blockwise
def inverse_error_function(y):
    """erfinv(y): Giles' approximation in float32 (as PyTorch's CPU kernel); in float64 it is the first guess
    of a Halley step on erf (three steps where 1 - |y| < 2^-24). +-inf at +-1, NaN outside [-1, 1]."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if y.dtype != np.float64:
            return _giles_erfinv(y.astype(np.float32, copy=False))
        guess = _giles_erfinv(y)
        magnitude, absolute = np.abs(guess), np.abs(y)
        inside = absolute < 1
        _fill_where(magnitude, inside, magnitude, lambda v: _refine_erfinv(v, absolute[inside]))
        # Beyond float32's range (1 - |y| < 2^-24) Giles' tail is extrapolated, up to 10% off: more steps.
        far = inside & (absolute > 1 - 2.0 ** -24)
        for _ in range(5):
            _fill_where(magnitude, far, magnitude, lambda v: _refine_erfinv(v, absolute[far]))
        return np.copysign(magnitude, y, out=magnitude)


_I0_SMALL = (-4.41534164647933937950e-18, 3.33079451882223809783e-17, -2.43127984654795469359e-16,
             1.71539128555513303061e-15, -1.16853328779934516808e-14, 7.67618549860493561688e-14,
             -4.85644678311192946090e-13, 2.95505266312963983461e-12, -1.72682629144155570723e-11,
             9.67580903537323691224e-11, -5.18979560163526290666e-10, 2.65982372468238665035e-9,
             -1.30002500998624804212e-8, 6.04699502254191894932e-8, -2.67079385394061173391e-7,
             1.11738753912010371815e-6, -4.41673835845875056359e-6, 1.64484480707288970893e-5,
             -5.75419501008210370398e-5, 1.88502885095841655729e-4, -5.76375574538582365885e-4,
             1.63947561694133579842e-3, -4.32430999505057594430e-3, 1.05464603945949983183e-2,
             -2.37374148058994688156e-2, 4.93052842396707084878e-2, -9.49010970480476444210e-2,
             1.71620901522208775349e-1, -3.04682672343198398683e-1, 6.76795274409476084995e-1)
_I0_LARGE = (-7.23318048787475395456e-18, -4.83050448594418207126e-18, 4.46562142029675999901e-17,
             3.46122286769746109310e-17, -2.82762398051658348494e-16, -3.42548561967721913462e-16,
             1.77256013305652638360e-15, 3.81168066935262242075e-15, -9.55484669882830764870e-15,
             -4.15056934728722208663e-14, 1.54008621752140982691e-14, 3.85277838274214270114e-13,
             7.18012445138366623367e-13, -1.79417853150680611778e-12, -1.32158118404477131188e-11,
             -3.14991652796324136454e-11, 1.18891471078464383424e-11, 4.94060238822496958910e-10,
             3.39623202570838634515e-9, 2.26666899049817806459e-8, 2.04891858946906374183e-7,
             2.89137052083475648297e-6, 6.88975834691682398426e-5, 3.36911647825569408990e-3,
             8.04490411014108831608e-1)
_I1_SMALL = (2.77791411276104639959e-18, -2.11142121435816608115e-17, 1.55363195773620046921e-16,
             -1.10559694773538630805e-15, 7.60068429473540693410e-15, -5.04218550472791168711e-14,
             3.22379336594557470981e-13, -1.98397439776494371520e-12, 1.17361862988909016308e-11,
             -6.66348972350202774223e-11, 3.62559028155211703701e-10, -1.88724975172282928790e-9,
             9.38153738649577178388e-9, -4.44505912879632808065e-8, 2.00329475355213526229e-7,
             -8.56872026469545474066e-7, 3.47025130813767847674e-6, -1.32731636560394358279e-5,
             4.78156510755005422638e-5, -1.61760815825896745588e-4, 5.12285956168575772895e-4,
             -1.51357245063125314899e-3, 4.15642294431288815669e-3, -1.05640848946261981558e-2,
             2.47264490306265168283e-2, -5.29459812080949914269e-2, 1.02643658689847095384e-1,
             -1.76416518357834055153e-1, 2.52587186443633654823e-1)
_I1_LARGE = (7.51729631084210481353e-18, 4.41434832307170791151e-18, -4.65030536848935832153e-17,
             -3.20952592199342395980e-17, 2.96262899764595013876e-16, 3.30820231092092828324e-16,
             -1.88035477551078244854e-15, -3.81440307243700780478e-15, 1.04202769841288027642e-14,
             4.27244001671195135429e-14, -2.10154184277266431302e-14, -4.08355111109219731823e-13,
             -7.19855177624590851209e-13, 2.03562854414708950722e-12, 1.41258074366137813316e-11,
             3.25260358301548823856e-11, -1.89749581235054123450e-11, -5.58974346219658380687e-10,
             -3.83538038596423702205e-9, -2.63146884688951950684e-8, -2.51223623787020892529e-7,
             -3.88256480887769039346e-6, -1.10588938762623716291e-4, -9.76109749136146840777e-3,
             7.78576235018280120474e-1)


def _truncated(coefficients, tolerance):
    """A Chebyshev series without its leading coefficients below ``tolerance`` (|T_k| <= 1: the error)."""
    keep = next(index for index, coefficient in enumerate(coefficients) if abs(coefficient) >= tolerance)
    return coefficients[keep:]


# The series by whether the result is float64; shorter ones for float32 and narrower results, where
# dropping coefficients below 1e-10 against values of at least 0.1 leaves errors far below float32's.
_BESSEL_SERIES = {
    True: {"i0": (_I0_SMALL, _I0_LARGE), "i1": (_I1_SMALL, _I1_LARGE)},
    False: {"i0": (_truncated(_I0_SMALL, 1e-10), _truncated(_I0_LARGE, 1e-10)),
            "i1": (_truncated(_I1_SMALL, 1e-10), _truncated(_I1_LARGE, 1e-10))},
}


def _bessel(x, name, small_factor):
    """Cephes' modified Bessel functions of the first kind: exp(|x|) times a Chebyshev series in |x|/2 - 2
    up to 8 (times ``small_factor(|x|)``), in 32/|x| - 2 over sqrt(|x|) beyond, in float64."""
    small_coefficients, large_coefficients = _BESSEL_SERIES[x.dtype == np.float64][name]
    magnitude = np.abs(x.astype(np.float64))
    result = np.empty_like(magnitude)
    small = magnitude <= 8
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        _fill_where(result, small, magnitude,
                    lambda v: small_factor(v) * _chebyshev(v / 2 - 2, small_coefficients))
        _fill_where(result, ~small, magnitude,
                    lambda v: _chebyshev(32 / v - 2, large_coefficients) / np.sqrt(v))
        result *= np.exp(magnitude)
    return result


@_blockwise
def bessel_i0(x):
    """I0(x), the modified Bessel function of the first kind of order 0."""
    return _bessel(x, "i0", lambda v: 1.0)


@_blockwise
def bessel_i1(x):
    """I1(x), the modified Bessel function of the first kind of order 1 (odd in x)."""
    return np.copysign(_bessel(x, "i1", lambda v: v), x)


class Lgamma(Op):
    save_inputs = (0,)

    def forward(self, x):
        return log_gamma(x)

    def backward(self, grad):
        return grad * self.inputs[0].digamma()


class Digamma(Op):
    save_inputs = (0,)

    def forward(self, x):
        return digamma_function(x)

    def backward(self, grad):
        return grad * self.inputs[0].polygamma(1)


class Polygamma(Op):
    """``polygamma(n, x)``, the n-th derivative of digamma; its derivative is polygamma(n + 1, x)."""

    save_inputs = (0,)

    def forward(self, x, order):
        if order < 0:
            raise RuntimeError("polygamma(n, x) does not support negative n.")
        self.order = order
        return polygamma_function(x, order)

    def backward(self, grad):
        return grad * self.inputs[0].polygamma(self.order + 1)


class Erfinv(Op):
    """The inverse error function; d/dy = sqrt(pi)/2 exp(erfinv(y)^2)."""

    save_output = True

    def forward(self, x):
        return inverse_error_function(x)

    def backward(self, grad):
        output = self.output()
        return grad * (output * output).exp() * (np.sqrt(np.pi) / 2)


class I0(Op):
    save_inputs = (0,)

    def forward(self, x):
        return bessel_i0(x)

    def backward(self, grad):
        return grad * I1.apply(self.inputs[0])


class I1(Op):
    """I1; d/dx = I0(x) - I1(x)/x, which tends to 1/2 at 0."""

    save_inputs = (0,)
    save_output = True

    def forward(self, x):
        return bessel_i1(x)

    def backward(self, grad):
        x = self.inputs[0]
        at_zero = x == 0
        safe = x.masked_fill(at_zero, 1.0)  # keeps the discarded branch finite for double backward
        return grad * (I0.apply(x) - self.output() / safe).masked_fill(at_zero, 0.5)

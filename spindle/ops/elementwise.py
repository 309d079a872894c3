"""Elementwise ops: arithmetic with broadcasting and PyTorch's type promotion, unary math, comparisons."""
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

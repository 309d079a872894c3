"""The gamma distribution, and the reparameterized standard-gamma draw that Beta and Dirichlet share."""

import numpy

from ..ops.op import Op
from . import constraints
from .distribution import Distribution
from .utils import batch_shape_of, broadcast_all

__all__ = ["Gamma"]

# Coefficients of PyTorch's bivariate rational approximation of the standard-gamma reparameterized
# gradient in (u, v) = (log(x / alpha), log(alpha)), used for moderate alpha and x >= 0.8.
_RATIONAL_COEFFICIENTS = (
    (0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1, 0.32668115, 0.10406089, 0.0014179084),
    (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113, -0.0035938915, -0.00058392623),
    (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642, -0.0021309326, 0.00085092367, -1.5247877e-07),
)


def standard_gamma_gradient(concentration, sample):
    """d sample / d concentration for ``sample ~ Gamma(concentration, 1)`` by implicit differentiation of
    the CDF, ``-(d CDF / d concentration) / pdf``, with PyTorch's approximations (``_standard_gamma_grad``):
    a Taylor series for ``x < 0.8``, Rice's saddle-point expansion for ``concentration > 8`` and a rational
    fit otherwise. Both Tensors have the same shape; the result has it too and is not differentiable."""
    with numpy.errstate(all="ignore"):  # the branches not selected for an element may overflow there
        return _standard_gamma_gradient_float64(concentration.detach().double(), sample.detach().double()).to(sample.dtype)


def _standard_gamma_gradient_float64(alpha, x):
    # Float64 throughout, as PyTorch accumulates float32 in double on the CPU.
    from ..functional import where

    # Taylor series of the lower incomplete gamma function (and its alpha derivative) around x = 0.
    numerator, denominator = 1.0, alpha
    series_cdf, series_alpha = 1 / denominator, 1 / (denominator * denominator)
    for index in range(1, 6):
        numerator = numerator * (-x / index)
        denominator = denominator + 1
        series_cdf = series_cdf + numerator / denominator
        series_alpha = series_alpha + numerator / (denominator * denominator)
    pow_x_alpha = x.pow(alpha)
    gamma_pdf = x.pow(alpha - 1) * (-x).exp()
    gamma_cdf = pow_x_alpha * series_cdf
    gamma_cdf_alpha = (x.log() - alpha.digamma()) * gamma_cdf - pow_x_alpha * series_alpha
    small_x = (-gamma_cdf_alpha / gamma_pdf).nan_to_num(nan=0.0, posinf=float("inf"), neginf=float("-inf"))

    # Rice saddle-point expansion for large alpha: a polynomial near the mode, the general form elsewhere.
    near_mode_numerator = (1 + 24 * alpha * (1 + 12 * alpha)) * (
        1440 * alpha * alpha + 6 * x * (53 - 120 * x) - 65 * x * x / alpha + alpha * (107 + 3600 * x)
    )
    near_mode = near_mode_numerator / (1244160 * alpha.pow(4))
    saddle_denominator = (8 * alpha).sqrt()
    log_ratio = (x / alpha).log()
    term2 = saddle_denominator / (alpha - x)
    term3 = (x - alpha - alpha * log_ratio).pow(-1.5)
    term23 = where(x < alpha, term2 - term3, term2 + term3)
    term1 = log_ratio * term23 - (2 / alpha).sqrt() * (alpha + x) / ((alpha - x) * (alpha - x))
    stirling = 1 + 1 / (12 * alpha) * (1 + 1 / (24 * alpha))
    saddle = -stirling * x * term1 / saddle_denominator
    large_alpha = where((0.9 * alpha <= x) & (x <= 1.1 * alpha), near_mode, saddle)

    v = alpha.log()
    coefficients = [row[0] + log_ratio * (row[1] + log_ratio * row[2]) for row in zip(*_RATIONAL_COEFFICIENTS)]
    p = coefficients[0] + v * (coefficients[1] + v * (coefficients[2] + v * coefficients[3]))
    q = coefficients[4] + v * (coefficients[5] + v * (coefficients[6] + v * coefficients[7]))
    rational = (p / q).exp()

    return where(x < 0.8, small_x, where(alpha > 8, large_alpha, rational))


class _StandardGamma(Op):
    """Draws ``Gamma(concentration, 1)`` elementwise from the default generator of the array's device;
    its gradient is the implicit reparameterization gradient ``standard_gamma_gradient``."""

    save_inputs = (0,)
    save_output = True

    def forward(self, concentration):
        from ..backend.device import device_of
        from ..backend.random import default_generator_for
        from .. import _dtype

        engine = default_generator_for(device_of(concentration)).engine
        sample = engine.standard_gamma(concentration, size=concentration.shape, dtype=concentration.dtype)
        # As PyTorch: a draw that underflows to 0 becomes the smallest normal number, so its log is finite.
        tiny = _dtype.finfo(_dtype.to_dtype(concentration.dtype)).tiny
        return sample.clip(tiny, None)

    def backward(self, grad):
        return grad * standard_gamma_gradient(self.inputs[0], self.output())


def standard_gamma(concentration):
    """A draw of ``Gamma(concentration, 1)`` of ``concentration``'s shape (float32 or float64), differentiable
    with respect to ``concentration``."""
    return _StandardGamma.apply(concentration)


class Gamma(Distribution):
    """``Gamma(concentration, rate)``: density ``rate^c x^(c-1) exp(-rate x) / Gamma(c)`` on ``x > 0``."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _expand_parameters = (("concentration", 0), ("rate", 0))

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(batch_shape_of((concentration, rate), (self.concentration,)), validate_args=validate_args)

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        return standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (
            self.concentration.xlogy(self.rate) + (self.concentration - 1).xlogy(value)
            - self.rate * value - self.concentration.lgamma()
        )

    def entropy(self):
        concentration = self.concentration
        return concentration - self.rate.log() + concentration.lgamma() + (1.0 - concentration) * concentration.digamma()

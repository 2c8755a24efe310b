"""Weight initialisation, as torch.nn.init: each function fills a Tensor's data in place (drawing from the
device's seeded generator, so tinygrad_lr.manual_seed makes it reproducible) and returns the Tensor."""
import math

from ..backend import rng, xp


def _fill(t, arr):
    t.data = xp(t.device).asarray(arr, dtype=t.dtype).reshape(t.shape)
    return t


def _fans(t):
    if t.ndim < 2:
        raise ValueError(f"fan in/out need a tensor with at least 2 dims, got shape {t.shape}")
    receptive = math.prod(t.shape[2:])
    return t.shape[1] * receptive, t.shape[0] * receptive


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as torch.nn.init.calculate_gain: 1 for "linear", "conv1d",
    "conv2d" and "sigmoid", 5/3 for "tanh", √2 for "relu", √(2/(1 + a²)) for "leaky_relu" with negative slope
    a = param (default 0.01)."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + a * a))
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def uniform_(t, a=0.0, b=1.0):
    """Fill the tensor t with samples from U(a, b); returns t."""
    return _fill(t, a + (b - a) * rng(t.device).random(t.shape))  # CuPy's Generator has random(), not uniform()


def normal_(t, mean=0.0, std=1.0):
    """Fill the tensor t with samples from the normal distribution with mean mean and standard deviation std;
    returns t."""
    return _fill(t, mean + std * rng(t.device).standard_normal(t.shape))  # nor normal()


def constant_(t, val):
    """Fill the tensor t with the value val; returns t."""
    return _fill(t, xp(t.device).full(t.shape, val))


def zeros_(t):
    """Fill the tensor t with zeros; returns t."""
    return constant_(t, 0.0)


def ones_(t):
    """Fill the tensor t with ones; returns t."""
    return constant_(t, 1.0)


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """Fill the tensor t (at least 2 dims) from U(-b, b), b = gain·√(3/fan) (He et al. 2015), as torch: fan is
    fan_in or fan_out as `mode` says, gain = calculate_gain(nonlinearity, a) with a the negative slope of a
    leaky ReLU. With a = √5 (torch's Linear/Conv default) b = 1/√fan_in. Returns t."""
    fan = _fans(t)[0 if mode == "fan_in" else 1]
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """Fill the tensor t (at least 2 dims) from N(0, std²), std = gain/√fan (He et al. 2015): fan, a, mode and
    nonlinearity as in kaiming_uniform_. Returns t."""
    fan = _fans(t)[0 if mode == "fan_in" else 1]
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def xavier_uniform_(t, gain=1.0):
    """Fill the tensor t (at least 2 dims) from U(-b, b), b = gain·√(6/(fan_in + fan_out)) (Glorot & Bengio
    2010). Returns t."""
    fi, fo = _fans(t)
    b = gain * math.sqrt(6.0 / (fi + fo))
    return uniform_(t, -b, b)


def xavier_normal_(t, gain=1.0):
    """Fill the tensor t (at least 2 dims) from N(0, std²), std = gain·√(2/(fan_in + fan_out)) (Glorot & Bengio
    2010). Returns t."""
    fi, fo = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fi + fo)))


def default_(weight, bias=None):
    """torch's default for Linear and Conv: kaiming_uniform_(a=√5) for weight, U(±1/√fan_in) for bias (if not
    None), both filled in place."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        b = 1 / math.sqrt(_fans(weight)[0])
        uniform_(bias, -b, b)

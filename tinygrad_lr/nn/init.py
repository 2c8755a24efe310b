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
    return _fill(t, a + (b - a) * rng(t.device).random(t.shape))  # CuPy's Generator has random(), not uniform()


def normal_(t, mean=0.0, std=1.0):
    return _fill(t, mean + std * rng(t.device).standard_normal(t.shape))  # nor normal()


def constant_(t, val):
    return _fill(t, xp(t.device).full(t.shape, val))


def zeros_(t):
    return constant_(t, 0.0)


def ones_(t):
    return constant_(t, 1.0)


def kaiming_uniform_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b), b = gain·√(3/fan). With a = √5 (torch's Linear/Conv default) b = 1/√fan_in."""
    fan = _fans(t)[0 if mode == "fan_in" else 1]
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(t, -bound, bound)


def kaiming_normal_(t, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    fan = _fans(t)[0 if mode == "fan_in" else 1]
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


def xavier_uniform_(t, gain=1.0):
    fi, fo = _fans(t)
    b = gain * math.sqrt(6.0 / (fi + fo))
    return uniform_(t, -b, b)


def xavier_normal_(t, gain=1.0):
    fi, fo = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fi + fo)))


def default_(weight, bias=None):
    """torch's default for Linear and Conv: kaiming_uniform_(a=√5) weights, U(±1/√fan_in) biases."""
    kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        b = 1 / math.sqrt(_fans(weight)[0])
        uniform_(bias, -b, b)

"""Elementwise ops, and the Tensor methods made of them (arithmetic, unary math, comparisons, casts, devices).

Backward returns gradients in the broadcast shape; the walk sums them down to each parent's shape.
"""
import inspect
import math
import numbers

import numpy as np

from ..autograd import Elementwise, Function, is_grad_enabled
from ..backend import canonical_device, to_device, xp
from ..tensor import DEFAULT_FLOAT, Tensor, result_type


class Add(Elementwise):
    """a + b;  d/da = 1, d/db = 1."""
    def forward(self, a, b):
        return a + b

    def backward(self, g, out, needs):
        return g, g


class Sub(Elementwise):
    """a - b;  d/da = 1, d/db = -1."""
    def forward(self, a, b):
        return a - b

    def backward(self, g, out, needs):
        return g, (-g if needs[1] else None)


class Mul(Elementwise):
    """a · b;  d/da = b, d/db = a."""
    def forward(self, a, b):
        return a * b

    def backward(self, g, out, needs):
        a, b = self.parents
        return (g * b if needs[0] else None), (g * a if needs[1] else None)


class Div(Elementwise):
    """a / b;  d/da = 1/b, d/db = -a/b² = -out/b."""
    def forward(self, a, b):
        return a / b

    def backward(self, g, out, needs):
        a, b = self.parents
        return (g / b if needs[0] else None), (-g * out / b if needs[1] else None)


class Pow(Elementwise):
    """a ** b;  d/da = b·a^(b-1), d/db = a^b·log a, with torch's values where these are 0·inf: d/da = 0 where
    b = 0 (also at a = 0), d/db = 0 where a = 0 and b >= 0 (a zero base would otherwise give 0·log 0 = nan).
    Elsewhere at a = 0 the formulas stand, as in torch: d(0**2)/da = 0, d(0**0.5)/da = inf."""
    def forward(self, a, b):
        return a ** b

    def backward(self, g, out, needs):
        a, b = self.parents
        ga = gb = None
        if needs[0]:
            zero = (b.data == 0) & (a.data == 0) if (b.data == 0).any() else None
            if zero is None or not zero.any():
                ga = g * b * a ** (b - 1.0)
            else:  # the base moved off 0 where masked, so that no 0·inf reaches the value or its derivatives
                ga = Tensor.where(zero, 0.0, g * b * Tensor.where(zero, 1.0, a) ** (b - 1.0))
        if needs[1]:
            zero = (a.data == 0) & (b.data >= 0)
            if not zero.any():
                gb = g * out * a.log()
            else:
                gb = Tensor.where(zero, 0.0, g * out * Tensor.where(zero, 1.0, a).log())
        return ga, gb


class Neg(Elementwise):
    """-a;  d/da = -1."""
    def forward(self, a):
        return -a

    def backward(self, g, out, needs):
        return -g


class Exp(Elementwise):
    """exp(a);  d/da = exp(a) = out."""
    def forward(self, a):
        return xp(self.device).exp(a)

    def backward(self, g, out, needs):
        return g * out


class Log(Elementwise):
    """log(a);  d/da = 1/a."""
    def forward(self, a):
        return xp(self.device).log(a)

    def backward(self, g, out, needs):
        return g / self.parents[0]


class Sqrt(Elementwise):
    """√a;  d/da = 1/(2√a), taken as 0 at a = 0 (instead of inf).

    Adam-style updates √v hit v = 0 exactly when a gradient is exactly 0 (dead units, constant-zero pixels); there
    the incoming tangent is 0 too, and inf·0 would turn every hypergradient into NaN. The limit along such paths
    is 0, which this gives."""
    def forward(self, a):
        return xp(self.device).sqrt(a)

    def backward(self, g, out, needs):
        pos = out.data > 0
        if pos.all():
            return g / (out * 2.0)
        return Tensor.where(pos, g / (Tensor.where(pos, out, 1.0) * 2.0), 0.0)


class Abs(Elementwise):
    """|a|;  d/da = sign(a) (0 at 0, as torch)."""
    def forward(self, a):
        self.sign = xp(self.device).sign(a)
        return abs(a)

    def backward(self, g, out, needs):
        return g * Tensor.wrap(self.sign, self.device)


class Tanh(Elementwise):
    """tanh(a);  d/da = 1 - tanh²(a) = 1 - out²."""
    def forward(self, a):
        return xp(self.device).tanh(a)

    def backward(self, g, out, needs):
        return g * (1.0 - out * out)


class Sigmoid(Elementwise):
    """σ(a) = 1/(1 + e^-a);  d/da = σ(a)·(1 - σ(a)) = out·(1 - out)."""
    def forward(self, a):
        m = xp(self.device)
        e = m.exp(-abs(a))  # never overflows; exact in both tails
        return m.where(a >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, g, out, needs):
        return g * out * (1.0 - out)


class Relu(Elementwise):
    """max(a, 0);  d/da = 1 where a > 0, else 0."""
    def forward(self, a):
        self.mask = a > 0  # the backward multiplies by it: cheaper than a where, and bool * float stays float
        return xp(self.device).maximum(a, 0)  # not a * mask: -inf * 0 would be nan

    def backward(self, g, out, needs):
        return g * Tensor.wrap(self.mask, self.device)


class Clip(Elementwise):
    """clip(a, lo, hi);  d/da = 1 where lo <= a <= hi, else 0."""
    def forward(self, a, lo=None, hi=None):
        m = xp(self.device)
        self.mask = m.ones(a.shape, dtype=bool)
        if lo is not None:
            self.mask &= a >= lo
        if hi is not None:
            self.mask &= a <= hi
        return m.clip(a, lo, hi).astype(a.dtype, copy=False)

    def backward(self, g, out, needs):
        return Tensor.where(self.mask, g, 0.0)


class Where(Elementwise):
    """cond ? a : b with a constant cond;  d/da = cond, d/db = not cond."""
    def forward(self, a, b, cond=None):
        self.cond = cond
        return xp(self.device).where(cond, a, b)

    def backward(self, g, out, needs):
        ga = Tensor.where(self.cond, g, 0.0) if needs[0] else None
        gb = Tensor.where(self.cond, 0.0, g) if needs[1] else None
        return ga, gb


class Reciprocal(Elementwise):
    """1/a;  d/da = -1/a² = -out²."""
    def forward(self, a):
        return xp(self.device).reciprocal(a)

    def backward(self, g, out, needs):
        return -g * out * out


class Log1p(Elementwise):
    """log(1 + a);  d/da = 1/(1 + a)."""
    def forward(self, a):
        return xp(self.device).log1p(a)

    def backward(self, g, out, needs):
        return g / (self.parents[0] + 1.0)


class Expm1(Elementwise):
    """exp(a) - 1;  d/da = exp(a) = out + 1."""
    def forward(self, a):
        return xp(self.device).expm1(a)

    def backward(self, g, out, needs):
        return g * (out + 1.0)


class Sin(Elementwise):
    """sin(a);  d/da = cos(a)."""
    def forward(self, a):
        return xp(self.device).sin(a)

    def backward(self, g, out, needs):
        return g * self.parents[0].cos()


class Cos(Elementwise):
    """cos(a);  d/da = -sin(a)."""
    def forward(self, a):
        return xp(self.device).cos(a)

    def backward(self, g, out, needs):
        return -g * self.parents[0].sin()


def erf_array(m, x):
    """erf on a NumPy/CuPy array to ~1e-15 (neither has one): for |x| < 2.5 the series
    erf(x) = 2/√π·e^{-x²}·Σ 2ⁿx^{2n+1}/(1·3···(2n+1)) (positive terms: no cancellation), beyond it the continued
    fraction erfc(x) = e^{-x²}/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + ...)))) (Abramowitz & Stegun 7.1.6, 7.1.14)."""
    a = m.abs(x)
    out = m.empty_like(a)
    small = a < 2.5
    xs = a[small]
    x2 = xs * xs
    term, s = xs.copy(), xs.copy()
    for n in range(1, 60):
        term *= 2 * x2 / (2 * n + 1)
        s += term
    out[small] = (2 / math.sqrt(math.pi)) * m.exp(-x2) * s
    xl = a[~small]
    f = xl.copy()
    for k in range(60, 0, -1):
        f = xl + (k / 2) / f
    out[~small] = 1 - m.exp(-xl * xl) / (math.sqrt(math.pi) * f)
    return (m.sign(x) * out).astype(x.dtype, copy=False)


class Erf(Elementwise):
    """erf(a) = 2/√π ∫₀ᵃ e^{-t²} dt;  d/da = 2/√π · e^{-a²}."""
    def forward(self, a):
        return erf_array(xp(self.device), a)

    def backward(self, g, out, needs):
        a = self.parents[0]
        return g * (-(a * a)).exp() * (2 / math.sqrt(math.pi))


class Rounding(Elementwise):
    """floor, ceil, round (half to even, as torch), trunc: piecewise constant;  d/da = 0 (as torch)."""
    def forward(self, a, fn=None, decimals=0):
        m = xp(self.device)
        if fn == "round":
            return m.round(a, decimals)
        return getattr(m, fn)(a)

    def backward(self, g, out, needs):
        return g * 0.0


class LeakyRelu(Elementwise):
    """a where a > 0, else slope·a;  d/da = 1 where a > 0, else slope."""
    def forward(self, a, slope=0.01):
        m = xp(self.device)
        self.factor = m.where(a > 0, 1, slope).astype(a.dtype)
        return a * self.factor

    def backward(self, g, out, needs):
        return g * Tensor.wrap(self.factor, self.device)


class Softplus(Elementwise):
    """log(1 + e^{βa})/β, and a itself where βa > threshold (torch's softplus);  d/da = σ(βa) (1 where linear)."""
    def forward(self, a, beta=1.0, threshold=20.0):
        m = xp(self.device)
        b = a * beta
        self.linear = b > threshold
        soft = (m.maximum(b, 0) + m.log1p(m.exp(-m.abs(b)))) / beta  # never overflows
        return m.where(self.linear, a, soft).astype(a.dtype, copy=False)

    def backward(self, g, out, needs):
        s = (self.parents[0] * self.kw.get("beta", 1.0)).sigmoid()
        return g * Tensor.where(self.linear, 1.0, s) if self.linear.any() else g * s


class Elu(Elementwise):
    """a where a > 0, else α·(e^a - 1);  d/da = 1 where a > 0, else α·e^a (from a, not as out + α, which would
    lose the digits of a tiny e^a)."""
    def forward(self, a, alpha=1.0):
        m = xp(self.device)
        self.pos = a > 0
        return m.where(self.pos, a, alpha * m.expm1(m.minimum(a, 0))).astype(a.dtype, copy=False)

    def backward(self, g, out, needs):
        return Tensor.where(self.pos, g, g * self.parents[0].clip(max=0.0).exp() * self.kw.get("alpha", 1.0))


class Maximum(Elementwise):
    """max(a, b) elementwise, nan where either is nan (torch.maximum);  d/da = 1 where a > b, 1/2 where a = b
    (ties split the gradient, as torch), 0 where a < b; d/db the mirror image. Where a or b is nan both get 1,
    as in torch."""
    def forward(self, a, b):
        m = xp(self.device)
        self.a, self.b = a, b
        return m.maximum(a, b)

    def weights(self, lose_a, lose_b):
        m, a, b = xp(self.device), self.a, self.b
        dt = m.result_type(a, b)
        w = m.where(a == b, dt.type(0.5), dt.type(1))
        return m.where(lose_a, dt.type(0), w), m.where(lose_b, dt.type(0), w)

    def backward(self, g, out, needs):
        wa, wb = self.weights(self.a < self.b, self.a > self.b)
        return ((g * Tensor.wrap(wa, self.device)) if needs[0] else None,
                (g * Tensor.wrap(wb, self.device)) if needs[1] else None)


class Minimum(Maximum):
    """min(a, b) elementwise, nan where either is nan (torch.minimum);  d/da = 1 where a < b, 1/2 where a = b,
    0 where a > b; d/db the mirror image (both 1 where a or b is nan, as torch)."""
    def forward(self, a, b):
        self.a, self.b = a, b
        return xp(self.device).minimum(a, b)

    def backward(self, g, out, needs):
        wa, wb = self.weights(self.a > self.b, self.a < self.b)
        return ((g * Tensor.wrap(wa, self.device)) if needs[0] else None,
                (g * Tensor.wrap(wb, self.device)) if needs[1] else None)


class Sign(Elementwise):
    """sign(a) in {-1, 0, 1} (nan for nan);  d/da = 0 (piecewise constant; 0 at a = 0 too, as torch)."""
    def forward(self, a):
        return xp(self.device).sign(a)

    def backward(self, g, out, needs):
        return Tensor.zeros_like(g)


class Cast(Elementwise):
    """a in another dtype;  d/da = 1 (the gradient is cast back)."""
    def forward(self, a, dtype=None):
        self.in_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g, out, needs):
        return g.cast(self.in_dtype)


class To(Function):
    """a copied to another device;  d/da = 1 (the gradient goes back to the source device)."""

    @classmethod
    def apply(cls, t, device):
        ctx = cls()
        ctx.device, ctx.kw = t.device, {"device": device}
        out = Tensor.wrap(to_device(t.data, device), device, t.requires_grad and is_grad_enabled())
        if out.requires_grad:
            ctx.parents = (t,)
            out._ctx = ctx
        return out

    def backward(self, g, out, needs):
        return g.to(self.device)

    def jvp(self, tangents, out):
        return tangents[0].to(out.device)


# ---- the Tensor methods made of these ops (bound in methods.py) ---------------------------------------------
def promote(*xs, device=None):
    """xs (Tensors, arrays, lists, Python scalars) as Tensors in their common dtype, tensor.result_type (torch's
    rule, not NumPy's); the non-Tensors go to the first Tensor's device (or `device`). A tensor is cast only
    where NumPy would not reach that dtype by itself (float32 * float64 needs no cast; float32 * 0-d float64
    does)."""
    ref = next((x for x in xs if isinstance(x, Tensor)), None)
    dev = ref.device if ref is not None else canonical_device(device)
    xs = [x if isinstance(x, (Tensor, numbers.Number)) else Tensor(x, device=dev) for x in xs]
    return cast_all(xs, result_type(*xs), dev)


def cast_all(xs, dt, device):
    """Tensors and Python scalars xs as Tensors whose elementwise op NumPy computes in dtype dt."""
    xs = [x if isinstance(x, Tensor) else Tensor.wrap(xp(device).asarray(x, dtype=dt), device) for x in xs]
    if any(x.dtype == dt for x in xs):  # NumPy widens the others to dt by itself
        return [x if np.promote_types(x.dtype, dt) == dt else cast(x, dt) for x in xs]
    return [cast(x, dt) for x in xs]


def binary(op, reflected=False):
    """x <op> y with broadcasting and Python scalars on either side, in the dtype of tensor.result_type (torch's
    promotion: a Python scalar or a 0-d tensor never widens a float tensor); true division of integers gives
    the default float dtype, float32."""
    true_div = op is Div

    def method(self, other):
        dt = self.data.dtype
        if isinstance(other, Tensor) and other.data.dtype == dt and (dt.kind in "fc" or not true_div):
            pass  # the common cases first: same dtype, or a Python number with a float tensor
        elif isinstance(other, (float, int)) and dt.kind == "f":
            other = Tensor.wrap(xp(self.device).asarray(other, dtype=dt), self.device)
        else:
            xs = [x if isinstance(x, (Tensor, numbers.Number)) else Tensor(x, device=self.device)
                  for x in (self, other)]
            rt = result_type(*xs)
            self, other = cast_all(xs, DEFAULT_FLOAT if true_div and rt.kind not in "fc" else rt, self.device)
        a, b = (other, self) if reflected else (self, other)
        try:
            return op.apply(a, b)
        except ValueError as e:
            if a.shape != b.shape and "broadcast" in str(e):
                raise ValueError(f"{op.__name__}: shapes {a.shape} and {b.shape} cannot be broadcast together") \
                    from None
            raise
    method.__doc__ = inspect.cleandoc(op.__doc__) + "\n\n" + (
        "Here a = other, b = self" if reflected else "Here a = self, b = other") + \
        " (other: a Tensor, an array or a Python scalar, broadcast against self)."
    return method


def unary(op):
    """The Tensor method self.<name>() applying the one-input op `op`; its docstring is the op's."""
    def method(self):
        return op.apply(self)
    method.__doc__ = op.__doc__
    return method


def comparison(fn):
    """x < y etc.: no gradient, a bool result."""
    def method(self, other):
        o = other.data if isinstance(other, Tensor) else other
        return Tensor.wrap(fn(self.data, o), self.device)
    symbol = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}[fn.__name__]
    method.__doc__ = f"self {symbol} other elementwise, broadcast (other: a Tensor, an array or a Python scalar): " \
        "a bool Tensor, not differentiable (no gradient flows through it)."
    return method


def sign(x):
    """sign(x) in {-1, 0, 1} elementwise (nan for nan); its derivative is 0 (torch.sign)."""
    return Sign.apply(x)


def square(x):
    """x² elementwise, as x * x (so its derivative is 2x by the product rule)."""
    return x * x


def clip(x, min=None, max=None):
    """x clipped to [min, max] elementwise (torch.clamp / clip); either bound may be None (no bound on that side).
    The derivative is 1 where min <= x <= max, else 0."""
    return Clip.apply(x, lo=min, hi=max)


def where(condition, x, y):
    """Elementwise condition ? x : y; the condition is a constant (bool Tensor or array); x and y take their
    common dtype by torch's rule (tensor.result_type)."""
    c = condition.data if isinstance(condition, Tensor) else condition
    x, y = promote(x, y, device=condition.device if isinstance(condition, Tensor) else None)
    return Where.apply(x, y, cond=xp(x.device).asarray(c, dtype=bool))


def maximum(x, other):
    """Elementwise max of x and other (a Tensor, array or Python scalar, broadcast; torch.maximum): nan propagates
    whichever side it is on; ties split the gradient."""
    return Maximum.apply(*promote(x, other))


def minimum(x, other):
    """Elementwise min of x and other (a Tensor, array or Python scalar, broadcast; torch.minimum): nan propagates
    whichever side it is on; ties split the gradient."""
    return Minimum.apply(*promote(x, other))


def cast(x, dtype):
    """x in another dtype (a NumPy dtype or tl.float32 etc.; x itself when it has that dtype already). The
    gradient is cast back to x's dtype."""
    return x if np.dtype(dtype) == x.dtype else Cast.apply(x, dtype=np.dtype(dtype))


def to(x, device=None, dtype=None):
    """x on another device and/or in another dtype (x itself when nothing changes)."""
    if device is not None and canonical_device(device) != x.device:
        x = To.apply(x, device=canonical_device(device))
    return x if dtype is None else cast(x, dtype)


def cpu(x):
    """x on the CPU, as a NumPy-backed tensor (x itself when it is there already); differentiable."""
    return to(x, "cpu")


def cuda(x, device=None):
    """x on a GPU: device None is "cuda" (the current one), an int N is "cuda:N"; differentiable."""
    return to(x, "cuda" if device is None else f"cuda:{device}")


def float32(x):
    """x as float32 (torch's .float())."""
    return cast(x, np.float32)


def float64(x):
    """x as float64 (torch's .double())."""
    return cast(x, np.float64)


def int64(x):
    """x as int64 (torch's .long())."""
    return cast(x, np.int64)


def reciprocal(x):
    """1/x elementwise;  d/dx = -1/x²."""
    return Reciprocal.apply(x)


def rsqrt(x):
    """1/√x, composed (sqrt's derivative convention at 0 carries over)."""
    return Reciprocal.apply(x.sqrt())


def rounding(fn):
    """The Tensor method x.floor() / ceil() / trunc(): fn names the NumPy function."""
    def method(x):
        return Rounding.apply(x, fn=fn)
    method.__doc__ = f"{fn}: zero gradient, as torch."
    return method


def round(x, decimals=0):  # noqa: A001 (torch's name)
    """Round half to even (as torch), to `decimals` places; zero gradient."""
    return Rounding.apply(x, fn="round", decimals=decimals)


def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, else negative_slope·x;  d/dx = 1 where x > 0, else negative_slope."""
    return LeakyRelu.apply(x, slope=negative_slope)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^{beta·x})/beta, and x itself where beta·x > threshold (torch's softplus);  d/dx = σ(beta·x)."""
    return Softplus.apply(x, beta=beta, threshold=threshold)


def elu(x, alpha=1.0):
    """x where x > 0, else alpha·(e^x - 1);  d/dx = 1 where x > 0, else alpha·e^x."""
    return Elu.apply(x, alpha=alpha)


def gelu(x, approximate="none"):
    """x·Φ(x), Φ the standard normal CDF (via erf); approximate="tanh": 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))."""
    if approximate == "tanh":
        return x * 0.5 * (((x + x * x * x * 0.044715) * math.sqrt(2 / math.pi)).tanh() + 1.0)
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return x * 0.5 * (Erf.apply(x * (1 / math.sqrt(2))) + 1.0)


def silu(x):
    """x·σ(x)."""
    return x * x.sigmoid()

"""Elementwise ops. Backward returns gradients in the broadcast shape; the graph walk sums them down."""
from .. import autograd
from ..autograd import Function
from ..backend import to_device, xp
from ..tensor import Tensor


class Elementwise(Function):
    """An op whose Jacobian w.r.t. each input is diagonal (up to broadcasting): the JVP is the sum over inputs of
    the backward applied to that input's tangent, so the backward rule serves forward mode too."""

    def jvp(self, tangents, out):
        total, saved = None, self.needs
        for i, t in enumerate(tangents):
            if t is None:
                continue
            self.needs = tuple(j == i for j in range(len(tangents)))
            d = self.backward(t, out)
            d = d[i] if isinstance(d, tuple) else d
            total = d if total is None else total + d
        self.needs = saved
        return total


def _where(cond, g):
    """g where cond else 0 (cond is a constant array)."""
    return Tensor.where(cond, g, 0.0)


class Add(Elementwise):
    def forward(self, a, b):
        return a + b

    def backward(self, g, out):
        return g, g


class Sub(Elementwise):
    def forward(self, a, b):
        return a - b

    def backward(self, g, out):
        return g, (-g if self.needs[1] else None)


class Mul(Elementwise):
    def forward(self, a, b):
        return a * b

    def backward(self, g, out):
        a, b = self.parents
        return (g * b if self.needs[0] else None), (g * a if self.needs[1] else None)


class Div(Elementwise):
    def forward(self, a, b):
        return a / b

    def backward(self, g, out):
        a, b = self.parents
        return (g / b if self.needs[0] else None), (-g * out / b if self.needs[1] else None)


class Pow(Elementwise):
    """a ** b: d/da = b·a^(b-1), d/db = a^b·log a."""
    def forward(self, a, b):
        return a ** b

    def backward(self, g, out):
        a, b = self.parents
        if not self.needs[0]:
            ga = None
        elif not b.requires_grad and b.data.size == 1 and float(b.data.reshape(())) == 0:
            ga = Tensor.zeros_like(a)  # d(a**0)/da = 0, also at a = 0 (0 * 0**-1 would be nan), as torch
        else:
            ga = g * b * a ** (b - 1.0)
        gb = g * out * a.log() if self.needs[1] else None
        return ga, gb


class Neg(Elementwise):
    def forward(self, a):
        return -a

    def backward(self, g, out):
        return -g


class Exp(Elementwise):
    def forward(self, a):
        return xp(self.device).exp(a)

    def backward(self, g, out):
        return g * out


class Log(Elementwise):
    def forward(self, a):
        return xp(self.device).log(a)

    def backward(self, g, out):
        return g / self.parents[0]


class Sqrt(Elementwise):
    """d√a/da = 1/(2√a), taken as 0 at a = 0 (instead of inf). Adam-style updates √v hit v = 0 exactly when a
    gradient is exactly 0 (dead units, constant-zero pixels); there the incoming tangent is 0 too, and inf·0
    would turn every hypergradient into NaN. The limit along such paths is 0, which this gives."""
    def forward(self, a):
        return xp(self.device).sqrt(a)

    def backward(self, g, out):
        pos = out.data > 0
        if pos.all():
            return g / (out * 2.0)
        return Tensor.where(pos, g / (Tensor.where(pos, out, 1.0) * 2.0), 0.0)


class Abs(Elementwise):
    """d|a|/da = sign(a) (0 at 0, as torch)."""
    def forward(self, a):
        self.sign = xp(self.device).sign(a)
        return abs(a)

    def backward(self, g, out):
        return g * Tensor._wrap(self.sign, self.device)


class Tanh(Elementwise):
    def forward(self, a):
        return xp(self.device).tanh(a)

    def backward(self, g, out):
        return g * (1.0 - out * out)


class Sigmoid(Elementwise):
    def forward(self, a):
        m = xp(self.device)
        e = m.exp(-abs(a))  # never overflows; exact in both tails
        return m.where(a >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, g, out):
        return g * out * (1.0 - out)


class Relu(Elementwise):
    def forward(self, a):
        self.mask = a > 0  # the backward multiplies by it: cheaper than a where, and bool * float stays float
        return xp(self.device).maximum(a, 0)  # not a * mask: -inf * 0 would be nan

    def backward(self, g, out):
        return g * Tensor._wrap(self.mask, self.device)


class Clip(Elementwise):
    """clip(a, lo, hi); the gradient passes where lo <= a <= hi."""
    def forward(self, a, lo=None, hi=None):
        m = xp(self.device)
        self.mask = m.ones(a.shape, dtype=bool)
        if lo is not None:
            self.mask &= a >= lo
        if hi is not None:
            self.mask &= a <= hi
        return m.clip(a, lo, hi).astype(a.dtype, copy=False)

    def backward(self, g, out):
        return _where(self.mask, g)


class Where(Elementwise):
    """cond ? a : b with a constant cond."""
    def forward(self, a, b, cond=None):
        self.cond = cond
        return xp(self.device).where(cond, a, b)

    def backward(self, g, out):
        ga = Tensor.where(self.cond, g, 0.0) if self.needs[0] else None
        gb = Tensor.where(self.cond, 0.0, g) if self.needs[1] else None
        return ga, gb


class Cast(Elementwise):
    def forward(self, a, dtype=None):
        self.in_dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g, out):
        return g.cast(self.in_dtype)


class To(Function):
    """Copy to another device; the gradient goes back to the source device."""
    def forward(self, a, device=None):
        self.src = self.device
        return to_device(a, device)

    @classmethod
    def apply(cls, t, device):
        ctx = cls()
        ctx.device = t.device
        out = Tensor._wrap(ctx.forward(t.data, device), device, t.requires_grad and autograd.is_grad_enabled())
        if out.requires_grad:
            ctx.parents, ctx.needs = (t,), (True,)
            out._ctx = ctx
        return out

    def backward(self, g, out):
        return g.to(self.src)

    def jvp(self, tangents, out):
        return tangents[0].to(out.device)


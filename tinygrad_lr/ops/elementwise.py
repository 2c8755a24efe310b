"""Elementwise ops. Backward returns gradients in the broadcast shape; the graph walk sums them down."""
from .. import autograd
from ..autograd import Function
from ..backend import to_device, xp
from ..tensor import Tensor


def _where(cond, g):
    """g where cond else 0 (cond is a constant array)."""
    return Tensor.where(cond, g, 0.0)


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, g, out):
        return g, g


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, g, out):
        return g, (-g if self.needs[1] else None)


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, g, out):
        a, b = self.parents
        return (g * b if self.needs[0] else None), (g * a if self.needs[1] else None)


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, g, out):
        a, b = self.parents
        return (g / b if self.needs[0] else None), (-g * out / b if self.needs[1] else None)


class Pow(Function):
    """a ** b: d/da = b·a^(b-1), d/db = a^b·log a."""
    def forward(self, a, b):
        return a ** b

    def backward(self, g, out):
        a, b = self.parents
        ga = g * b * a ** (b - 1.0) if self.needs[0] else None
        gb = g * out * a.log() if self.needs[1] else None
        return ga, gb


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, g, out):
        return -g


class Exp(Function):
    def forward(self, a):
        return xp(self.device).exp(a)

    def backward(self, g, out):
        return g * out


class Log(Function):
    def forward(self, a):
        return xp(self.device).log(a)

    def backward(self, g, out):
        return g / self.parents[0]


class Sqrt(Function):
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


class Abs(Function):
    """d|a|/da = sign(a) (0 at 0, as torch)."""
    def forward(self, a):
        self.sign = xp(self.device).sign(a)
        return abs(a)

    def backward(self, g, out):
        return g * Tensor._wrap(self.sign, self.device)


class Tanh(Function):
    def forward(self, a):
        return xp(self.device).tanh(a)

    def backward(self, g, out):
        return g * (1.0 - out * out)


class Sigmoid(Function):
    def forward(self, a):
        m = xp(self.device)
        e = m.exp(-abs(a))  # never overflows; exact in both tails
        return m.where(a >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, g, out):
        return g * out * (1.0 - out)


class Relu(Function):
    def forward(self, a):
        self.mask = (a > 0).astype(a.dtype)  # a multiply is cheaper than a where, forward and backward
        return a * self.mask

    def backward(self, g, out):
        return g * Tensor._wrap(self.mask, self.device)


class Clip(Function):
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


class Where(Function):
    """cond ? a : b with a constant cond."""
    def forward(self, a, b, cond=None):
        self.cond = cond
        return xp(self.device).where(cond, a, b)

    def backward(self, g, out):
        ga = Tensor.where(self.cond, g, 0.0) if self.needs[0] else None
        gb = Tensor.where(self.cond, 0.0, g) if self.needs[1] else None
        return ga, gb


class Cast(Function):
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


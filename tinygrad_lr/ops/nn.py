"""Fused ops of neural nets: log-softmax and training-mode batch normalisation as single ops.

Composed of engine ops each would cost about ten passes over its input, forward and backward; as one op with an
analytic backward it costs a few. The backward is still written in Tensor ops, so it differentiates again:
LogSoftmax's backward uses its own output (whose graph leads back through LogSoftmax), BatchNorm's recomputes
its statistics from x with Tensor ops when the graph is being recorded (create_graph=True), and reuses the arrays
its forward saved when it is not.
"""
from ..autograd import Function, is_grad_enabled
from ..backend import xp
from ..tensor import Tensor


class LogSoftmax(Function):
    """log softmax(a) = a - log Σ_dim exp(a);  d/da: g - softmax(a)·Σ_dim g = g - exp(out)·Σ_dim g."""
    def forward(self, a, dim=-1):
        m = xp(self.device)
        self.dim = dim
        mx = a.max(axis=dim, keepdims=True)
        s = a - m.where(m.isfinite(mx), mx, 0)  # shifted: exp never overflows; all -inf rows stay -inf / nan
        e = m.exp(s)
        return s - m.log(e.sum(axis=dim, keepdims=True))

    def backward(self, g, out, needs):
        return g - out.exp() * g.sum(self.dim, keepdim=True)


class BatchNorm(Function):
    """Batch normalisation with the batch's statistics, over every dim but the channel dim 1:

        y = x̂·w + b,   x̂ = (x - μ)·r,   r = 1/√(σ² + ε)      μ, σ²: mean and biased variance over `axes`
        d/dx = w·r·(g - mean(g) - x̂·mean(g·x̂)),   d/dw = Σ g·x̂,   d/db = Σ g        (means, sums over `axes`)

    w and b are per channel (shape (C,)). The batch mean and variance are returned by `statistics()` after the
    forward (for the running averages)."""
    def forward(self, x, w, b, axes=None, eps=1e-5):
        m = xp(self.device)
        n = x.size // x.shape[1]
        mean = x.sum(axis=axes, keepdims=True) / n
        d = x - mean
        var = (d * d).sum(axis=axes, keepdims=True) / n
        r = 1.0 / m.sqrt(var + eps)
        d *= r  # x̂, in place
        self.xhat, self.r, self.mean, self.var = d, r, mean, var
        shape = mean.shape
        return d * w.reshape(shape) + b.reshape(shape)

    def statistics(self):
        return self.mean, self.var

    def backward(self, g, out, needs):
        x, w, b = self.parents
        axes, eps = self.kw["axes"], self.kw["eps"]
        shape = self.mean.shape
        if is_grad_enabled():  # recording (create_graph): x̂ and r as functions of x, so they differentiate too
            d = x - x.mean(axes, keepdim=True)
            r = ((d * d).mean(axes, keepdim=True) + eps) ** -0.5
            xhat = d * r
        else:
            xhat, r = Tensor.wrap(self.xhat, self.device), Tensor.wrap(self.r, self.device)
        gw = (g * xhat).sum(axes) if needs[1] or needs[0] else None
        gb = g.sum(axes) if needs[2] or needs[0] else None
        gx = None
        if needs[0]:
            n = x.data.size // x.shape[1]
            gx = (w.reshape(shape) * r) * (g - gb.reshape(shape) * (1.0 / n) - xhat * (gw.reshape(shape) * (1.0 / n)))
        return gx, (gw if needs[1] else None), (gb if needs[2] else None)

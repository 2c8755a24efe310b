"""Batch normalisation (training mode: batch statistics) as one op.

Composed of elementwise ops, a BatchNorm layer costs some nine passes over its input forward and twenty
backward, and in the batch-last layout of ops/conv.py the broadcasts of its per-channel statistics turn the
gradient back to (N, C, H, W) order. As one op it works on the (C, M) channel-major matrix (a view of the
(C, H, W, N) buffer: no copy), and its backward is the textbook three-term formula.

The backward is differentiable: in a plain backward it runs on arrays with the statistics saved by the forward;
when a graph is being recorded (create_graph=True: HVPs, double backward) it is written in Tensor ops of
(x, w, g), the statistics recomputed from x, so its derivatives, of any order, are exact.
"""
from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from ..backend import xp
from .conv import chwn, nchw


def _channel_major(a, m):
    """a (N, C, ...) as a (C, M) matrix, and the map from a (C, M) matrix back to a's shape (both views where
    the layout allows: (C, H, W, N) memory for 4-D, any (N, C))."""
    if a.ndim == 4:
        N, C, H, W = a.shape
        return chwn(a, m).reshape(C, -1), lambda b: nchw(b.reshape(C, H, W, N))
    if a.ndim == 2:
        return a.T, lambda b: b.T
    N, C = a.shape[:2]
    rest = a.shape[2:]
    cm = m.ascontiguousarray(m.moveaxis(a, 1, 0)).reshape(C, -1)
    return cm, lambda b: m.moveaxis(b.reshape((C, N) + rest), 0, 1)


def _rowdot(m, a, b):
    """Σ_j a[i, j]·b[i, j] for each row i, as a batch of dot products (BLAS: a quarter of the time of
    (a * b).sum(1), and no temporary)."""
    return m.matmul(a[:, None, :], b[:, :, None]).reshape(a.shape[0])


class BatchNorm(Function):
    """y = x̂·w + b with x̂ = (x - μ)/√(σ² + eps), μ and σ² (biased) the mean and variance of each channel (dim 1)
    over the M elements of the other dims;  db = Σ g, dw = Σ g·x̂, dx = w/√(σ² + eps) · (g - db/M - x̂·dw/M).
    `stats`, a dict, receives the batch mean and biased variance (for the running statistics)."""

    def forward(self, x, w=None, b=None, eps=1e-5, stats=None):
        m = xp(self.device)
        x2, back = _channel_major(x, m)
        self.M = x2.shape[1]
        mean = x2.mean(1)
        xc = x2 - mean[:, None]
        var = _rowdot(m, xc, xc) / self.M
        if stats is not None:
            stats["mean"], stats["var"] = mean, var
        self.inv = 1.0 / m.sqrt(var + eps)
        self.xc = xc  # x̂ = xc·inv, formed only inside the passes that need it
        y = xc * (self.inv if w is None else self.inv * w)[:, None]
        if b is not None:
            y += b[:, None]
        return back(y)

    def backward(self, g, out, needs):
        affine = len(self.parents) == 3
        if is_grad_enabled():
            return self._backward_graph(g, needs, affine)
        m = xp(self.device)
        g2, back = _channel_major(g.data, m)
        xc, inv, M = self.xc, self.inv, self.M
        db = g2.sum(1)
        dw = _rowdot(m, g2, xc) * inv  # Σ g·x̂
        res = [None] * len(self.parents)
        if needs[0]:  # dx = k·g - k·db/M - x̂·k·dw/M with k = w·inv, x̂ = xc·inv
            k = inv if not affine else inv * self.parents[1].data
            t = xc * (k * inv * dw / M)[:, None]
            t += (k * db / M)[:, None]
            dx = g2 * k[:, None]
            dx -= t
            res[0] = Tensor.wrap(back(dx), self.device)
        if affine:
            res[1] = Tensor.wrap(dw, self.device) if needs[1] else None
            res[2] = Tensor.wrap(db, self.device) if needs[2] else None
        return tuple(res)

    def _backward_graph(self, g, needs, affine):
        """The same formulas in Tensor ops of (x, w, g): recorded, so differentiable again."""
        x = self.parents[0]
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        xc = x - x.mean(axes, keepdim=True)
        inv = 1.0 / ((xc * xc).mean(axes, keepdim=True) + self.kw.get("eps", 1e-5)).sqrt()
        xhat = xc * inv
        db = g.sum(axes)
        dw = (g * xhat).sum(axes)
        res = [None] * len(self.parents)
        if needs[0]:
            k = inv if not affine else inv * self.parents[1].reshape(shape)
            res[0] = k * (g - db.reshape(shape) * (1.0 / self.M) - xhat * dw.reshape(shape) * (1.0 / self.M))
        if affine:
            res[1] = dw if needs[1] else None
            res[2] = db if needs[2] else None
        return tuple(res)

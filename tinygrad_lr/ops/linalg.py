"""Matrix product (batched, broadcasting batch dims), the matmul method, and the affine map of a linear layer.
Backward: two more matmuls; the walk sums batch dims.

Both ops compute a plain backward (no graph being recorded) directly on arrays and wrap the results: the same
products, without the transpose ops and graph nodes that the Tensor-op formulas cost (a third of an MLP's
gradient time outside its GEMMs). When a graph is recorded (create_graph=True), the same formulas run in Tensor
ops, so their derivatives of every order are exact."""
import functools

from ..autograd import Bilinear, is_grad_enabled
from ..tensor import Tensor


def _f_order(x):
    """Whether a 2-D array (or a Tensor's array) is stored column-major only."""
    a = x.data if isinstance(x, Tensor) else x
    return a.ndim == 2 and a.flags.f_contiguous and not a.flags.c_contiguous


class MatMul(Bilinear):
    """a @ b;  d/da = g @ bᵀ, d/db = aᵀ @ g (bilinear: the JVP is da @ b + a @ db)."""
    def forward(self, a, b):
        return a @ b

    def backward(self, g, out, needs):
        a, b = self.parents
        ga = gb = None
        if not is_grad_enabled():  # a plain backward: the same products on arrays
            a, b, g = a.data, b.data, g.data
            mT = _mT
        else:
            mT = _mT_tensor
        # Each gradient is produced in its parent's memory layout: for x @ W.T the weight's gradient then comes
        # out C-ordered like W itself, and the elementwise work on it (optimizers, HVP dots) stays contiguous.
        if needs[0]:
            ga = mT(b @ mT(g)) if _f_order(a) else g @ mT(b)
        if needs[1]:
            gb = mT(mT(g) @ a) if _f_order(b) else mT(a) @ g
        if isinstance(g, Tensor):
            return ga, gb
        return (None if ga is None else Tensor.wrap(ga, self.device),
                None if gb is None else Tensor.wrap(gb, self.device))


def _mT(a):
    return a.swapaxes(-1, -2)


def _mT_tensor(a):
    return a.mT


class Affine(Bilinear):
    """y = x @ wᵀ + b, x (..., in), w (out, in), b (out,) (torch's F.linear);  dx = g @ w, dw = Σ gᵀ @ x over the
    leading dims, db = Σ g over them (bilinear in (x, w), affine in b: the JVP is dx @ wᵀ + x @ dwᵀ + db)."""

    def forward(self, x, w, b=None):
        y = x @ w.T
        if b is None:
            return y
        if b.dtype == y.dtype:
            y += b
            return y
        return y + b

    def backward(self, g, out, needs):
        x, w = self.parents[:2]
        lead = x.ndim != 2
        if not is_grad_enabled():
            x, w, g = x.data, w.data, g.data
            wrap = functools.partial(Tensor.wrap, device=self.device)
        else:
            wrap = _same
        g2 = g.reshape(-1, g.shape[-1]) if lead else g
        x2 = x.reshape(-1, x.shape[-1]) if lead else x
        gx = wrap(g @ w) if needs[0] else None
        gw = wrap(_mT(g2) @ x2 if not isinstance(g2, Tensor) else g2.mT @ x2) if needs[1] else None
        if len(needs) == 2:
            return gx, gw
        return gx, gw, (wrap(g2.sum(0)) if needs[2] else None)

    def jvp(self, tangents, out):
        d = super().jvp(tangents[:2], out)
        if len(tangents) > 2 and tangents[2] is not None:
            d = tangents[2] if d is None else d + tangents[2]
        return d


def _same(a):
    return a


# ---- the Tensor methods (bound in methods.py) ----------------------------------------------------------------
def matmul(a, b):
    """a @ b as numpy: 1-D operands get a dim added, which is removed again from the result."""
    b = a.const(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dim, got shapes {a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                         f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})")
    if a.ndim > 1 and b.ndim > 1:
        try:
            return MatMul.apply(a, b)
        except ValueError:
            raise ValueError(f"matmul: batch dims of {a.shape} and {b.shape} cannot be broadcast") from None
    out = MatMul.apply(a.reshape(1, -1) if a.ndim == 1 else a, b.reshape(-1, 1) if b.ndim == 1 else b)
    return out.reshape(out.shape[:-2] + out.shape[-2:-1] * (a.ndim > 1) + out.shape[-1:] * (b.ndim > 1))


def rmatmul(b, a):
    return matmul(b.const(a), b)

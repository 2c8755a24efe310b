"""Matrix product (batched, broadcasting batch dims), and the matmul method. Backward: two more matmuls; the walk
sums batch dims."""
from ..autograd import Bilinear


def _f_order(x):
    return x.ndim == 2 and x.data.flags.f_contiguous and not x.data.flags.c_contiguous


class MatMul(Bilinear):
    """a @ b;  d/da = g @ bᵀ, d/db = aᵀ @ g (bilinear: the JVP is da @ b + a @ db)."""
    def forward(self, a, b):
        return a @ b

    def backward(self, g, out, needs):
        a, b = self.parents
        ga = gb = None
        # Each gradient is produced in its parent's memory layout: for x @ W.T the weight's gradient then comes
        # out C-ordered like W itself, and the elementwise work on it (optimizers, HVP dots) stays contiguous.
        if needs[0]:
            ga = (b @ g.mT).mT if _f_order(a) else g @ b.mT
        if needs[1]:
            gb = (g.mT @ a).mT if _f_order(b) else a.mT @ g
        return ga, gb


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

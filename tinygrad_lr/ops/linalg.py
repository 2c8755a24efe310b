"""Matrix product (batched, broadcasting batch dims). Backward: two more matmuls; the walk sums batch dims."""
from ..autograd import Function


def _f_order(x):
    return x.ndim == 2 and x.data.flags.f_contiguous and not x.data.flags.c_contiguous


class MatMul(Function):
    def forward(self, a, b):
        return a @ b

    def backward(self, g, out):
        a, b = self.parents
        ga = gb = None
        # Each gradient is produced in its parent's memory layout: for x @ W.T the weight's gradient then comes
        # out C-ordered like W itself, and the elementwise work on it (optimizers, HVP dots) stays contiguous.
        if self.needs[0]:
            ga = (b @ g.mT).mT if _f_order(a) else g @ b.mT
        if self.needs[1]:
            gb = (g.mT @ a).mT if _f_order(b) else a.mT @ g
        return ga, gb

    def jvp(self, tangents, out):  # bilinear: d(a @ b) = da @ b + a @ db
        (ta, tb), (a, b) = tangents, self.parents
        da = None if ta is None else ta @ b
        db = None if tb is None else a @ tb
        return db if da is None else da if db is None else da + db

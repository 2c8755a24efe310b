"""Matrix product (batched, broadcasting batch dims), the matmul method, and the affine map of a linear layer.
Backward: two more matmuls; the walk sums batch dims.

Both ops compute a plain backward (no graph being recorded) directly on arrays and wrap the results: the same
products, without the transpose ops and graph nodes that the Tensor-op formulas cost (a third of an MLP's
gradient time outside its GEMMs). When a graph is recorded (create_graph=True), the same formulas run in Tensor
ops, so their derivatives of every order are exact."""
import functools
import string

from ..autograd import Bilinear, Function, is_grad_enabled
from ..backend import xp
from ..tensor import Tensor
from .movement import Getitem, IndexAdd


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


class Einsum(Function):
    """einsum(spec, *operands) with each operand's subscripts distinct letters (the function `einsum` below takes
    repeated letters and ellipses to this form);  multilinear: d/d(operand i) = einsum of g with the other
    operands, written out to operand i's letters (letters it sums alone are broadcast back)."""
    def forward(self, *arrays, ins=None, out=None):
        return xp(self.device).einsum(",".join(ins) + "->" + out, *arrays, optimize=len(arrays) > 2)

    def backward(self, g, out, needs):
        ins, res = self.kw["ins"], self.kw["out"]
        grads = []
        for i, need in enumerate(needs):
            if not need:
                grads.append(None)
                continue
            others = [(s, p) for j, (s, p) in enumerate(zip(ins, self.parents)) if j != i]
            have = set(res).union(*[s for s, _ in others])
            kept = "".join(c for c in ins[i] if c in have)
            gi = Einsum.apply(g, *[p for _, p in others], ins=(res,) + tuple(s for s, _ in others), out=kept)
            if kept != ins[i]:  # letters summed in operand i alone: d/d of a sum is 1, broadcast back
                shape = self.parents[i].shape
                gi = gi.reshape(tuple(shape[k] if c in kept else 1 for k, c in enumerate(ins[i]))).expand(shape)
            grads.append(gi)
        return tuple(grads)


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
    """a @ b with the Tensor b on the right (a: an array or a list, made a Tensor on b's device)."""
    return matmul(b.const(a), b)


def outer(a, b):
    """a ⊗ b of two 1-D tensors: (n, m)."""
    b = a.const(b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expects two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return a.reshape(-1, 1) * b.reshape(1, -1)


def _diag_index(n, m, k, device):
    """Row and column indices of diagonal k of an (n, m) matrix."""
    mod = xp(device)
    length = max(0, min(n, m - k) if k >= 0 else min(n + k, m))
    r = mod.arange(length) + max(-k, 0)
    return r, r + k


def diag(x, diagonal=0):
    """1-D: the square matrix with x on diagonal `diagonal`; 2-D: that diagonal as a 1-D tensor (torch.diag)."""
    if x.ndim == 1:
        n = x.shape[0] + abs(diagonal)
        return IndexAdd.apply(x, index=_diag_index(n, n, diagonal, x.device), shape=(n, n))
    if x.ndim == 2:
        return Getitem.apply(x, index=_diag_index(x.shape[0], x.shape[1], diagonal, x.device))
    raise ValueError(f"diag: expects a 1-D or 2-D tensor, got shape {x.shape}")


def trace(x):
    """The sum of the main diagonal of a matrix."""
    if x.ndim != 2:
        raise ValueError(f"trace: expects a 2-D tensor, got shape {x.shape}")
    return diag(x).sum()


def _tri(x, diagonal, upper):
    if x.ndim < 2:
        raise ValueError(f"{'triu' if upper else 'tril'}: expects at least 2 dims, got shape {x.shape}")
    m = xp(x.device)
    n, k = x.shape[-2:]
    d = m.arange(k)[None, :] - m.arange(n)[:, None]
    return Tensor.where(d >= diagonal if upper else d <= diagonal, x, 0.0)


def triu(x, diagonal=0):
    """x with the entries below diagonal `diagonal` of its last two dims set to 0."""
    return _tri(x, diagonal, True)


def tril(x, diagonal=0):
    """x with the entries above diagonal `diagonal` of its last two dims set to 0."""
    return _tri(x, diagonal, False)


def einsum(equation, *operands):
    """torch.einsum: the equation's subscripts with "->" or implicit (output = the letters used once, sorted),
    "..." for broadcast leading dims, a letter repeated in one operand for its diagonal; the operands as arguments
    or one list. The diagonals are taken first (indexing), then one Einsum op."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    ref = next((o for o in operands if isinstance(o, Tensor)), None)
    if ref is None:
        raise TypeError("einsum: needs at least one Tensor operand")
    operands = [ref.const(o) for o in operands]
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(operands):
        raise ValueError(f"einsum: {equation!r} names {len(ins)} operands but {len(operands)} were given")
    used = set("".join(ins) + rhs) - set(".")
    spare = iter(c for c in string.ascii_letters if c not in used)
    nell = max([o.ndim - (len(s) - 3) for s, o in zip(ins, operands) if "..." in s] or [0])
    ell = "".join(next(spare) for _ in range(nell))
    subs = []
    for s, o in zip(ins, operands):
        if "..." in s:
            k = o.ndim - (len(s) - 3)
            s = s.replace("...", ell[nell - k:])
        if len(s) != o.ndim:
            raise ValueError(f"einsum: subscripts {s!r} for an operand of shape {o.shape}")
        subs.append(s)
    if arrow:
        out = rhs.replace("...", ell)
    else:
        letters = "".join(subs)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    sizes = {}
    for s, o in zip(subs, operands):
        for c, n in zip(s, o.shape):
            if sizes.setdefault(c, n) != n and n != 1 and sizes[c] != 1:
                raise ValueError(f"einsum: letter {c!r} has sizes {sizes[c]} and {n}")
            sizes[c] = max(sizes[c], n)
    for i, (s, o) in enumerate(zip(subs, operands)):
        if len(set(s)) != len(s):  # a repeated letter: read its diagonal first
            uniq = "".join(dict.fromkeys(s))
            m = xp(o.device)
            index = tuple(m.arange(o.shape[s.index(c)]).reshape(
                [-1 if u == c else 1 for u in uniq]) for c in s)
            operands[i], subs[i] = Getitem.apply(o, index=index), uniq
    for i, (s, o) in enumerate(zip(subs, operands)):  # size-1 dims broadcast against the others: expand them
        full = tuple(sizes[c] for c in s)
        if o.shape != full:
            operands[i] = o.expand(full)
    return Einsum.apply(*operands, ins=tuple(subs), out=out)

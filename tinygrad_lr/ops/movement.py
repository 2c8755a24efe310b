"""Shape ops, and the Tensor methods made of them. Each op is linear and its backward is the adjoint movement:
reshape<->reshape, permute<->inverse permute, expand<->sum, pad<->slice, getitem<->scatter-add (repeated
indices accumulate), cat<->slices."""
import collections
import math
import numbers

import numpy as np

from .. import accumulate
from ..autograd import Function, Linear, is_grad_enabled
from ..backend import device_of, scatter_add, xp
from ..tensor import Tensor, dim_of, dims_of, shape_arg


class Reshape(Linear):
    """a viewed with another shape;  the gradient is reshaped back."""
    def forward(self, a, shape=None):
        self.in_shape = a.shape
        return a.reshape(shape)

    def backward(self, g, out, needs):
        return g.reshape(self.in_shape)


class Permute(Linear):
    """a with its dims reordered;  the gradient gets the inverse order."""
    def forward(self, a, order=None):
        self.inv = tuple(sorted(range(len(order)), key=order.__getitem__))
        return a.transpose(order)

    def backward(self, g, out, needs):
        return g.permute(*self.inv)


class Expand(Linear):
    """a broadcast to a larger shape;  the gradient is summed over the broadcast dims (sum_to)."""
    def forward(self, a, shape=None):
        self.in_shape = a.shape
        return xp(self.device).broadcast_to(a, shape)

    def backward(self, g, out, needs):
        return g.sum_to(self.in_shape)


class Pad(Function):
    """a padded with a constant;  the gradient is the slice of g where a sits."""
    def forward(self, a, pads=None, value=0.0):
        self.slices = tuple(slice(lo, lo + s) for (lo, _), s in zip(pads, a.shape))
        # the result keeps a's memory order (xp.pad would make it C-ordered): a permuted view such as the
        # batch-last layout of the convolutions stays in that layout
        shape = tuple(lo + s + hi for (lo, hi), s in zip(pads, a.shape))
        out = accumulate.empty_in_order(xp(self.device), shape, a.dtype, memory_order(a))
        for d, (lo, hi) in enumerate(pads):
            inner = self.slices[:d]
            if lo:
                out[inner + (slice(0, lo),)] = value
            if hi:
                out[inner + (slice(lo + a.shape[d], None),)] = value
        out[self.slices] = a
        return out

    def backward(self, g, out, needs):
        return g[self.slices]

    def jvp(self, tangents, out):  # the padding is a constant: its tangent is 0 whatever the pad value
        return Pad.apply(tangents[0], pads=self.kw["pads"], value=0.0)


def memory_order(a):
    """a's dims from outermost to innermost in memory, or None when that is C order."""
    if a.ndim < 2 or a.flags.c_contiguous:
        return None
    order = tuple(sorted(range(a.ndim), key=lambda i: (-a.strides[i], i)))
    return None if order == tuple(range(a.ndim)) else order


def _is_advanced(index):
    return any(hasattr(i, "dtype") and getattr(i, "ndim", 0) >= 0 and not isinstance(i, np.generic)
               for i in index)


class Getitem(Linear):
    """a[index];  the gradient is g scattered back to `index` (added where an index repeats), zero elsewhere."""
    def forward(self, a, index=None):
        self.in_shape, self.index = a.shape, index
        self.order = memory_order(a)  # the gradient is made in a's memory layout
        return a[index]

    def backward(self, g, out, needs):
        if accumulate.FAST and not is_grad_enabled():  # a plain backward: the walk adds g in place (SparseGrad)
            return accumulate.SparseGrad(g, self.index, self.in_shape, _is_advanced(self.index), self.order)
        return IndexAdd.apply(g, index=self.index, shape=self.in_shape, order=self.order)


class IndexAdd(Linear):
    """zeros(shape)[index] += g, the adjoint of indexing;  its gradient is indexing again: g[index]. `order`:
    the memory order of the result (None: C order)."""
    def forward(self, g, index=None, shape=None, order=None):
        self.index = index
        out = accumulate.empty_in_order(xp(self.device), shape, g.dtype, order, fill=0)
        if _is_advanced(index):
            scatter_add(out, index, g)
        else:  # basic slicing never repeats an element
            out[index] = g
        return out

    def backward(self, g, out, needs):
        return g[self.index]


class Cat(Function):
    """The inputs concatenated along `dim`;  each input's gradient is its slice of g."""
    def forward(self, *arrays, dim=0):
        sizes = np.cumsum([0] + [a.shape[dim] for a in arrays])
        self.slices = [(slice(None),) * dim + (slice(int(lo), int(hi)),) for lo, hi in zip(sizes[:-1], sizes[1:])]
        return xp(self.device).concatenate(arrays, axis=dim)

    def backward(self, g, out, needs):
        return tuple(g[s] if need else None for s, need in zip(self.slices, needs))

    def jvp(self, tangents, out):  # linear in all inputs at once
        return Cat.apply(*[Tensor.zeros_like(p) if t is None else t for p, t in zip(self.parents, tangents)],
                         **self.kw)


class Flip(Linear):
    """a reversed along `axes`;  the gradient is g reversed along the same axes."""
    def forward(self, a, axes=None):
        return xp(self.device).flip(a, axes)

    def backward(self, g, out, needs):
        return Flip.apply(g, axes=self.kw["axes"])


class Roll(Linear):
    """a rolled by `shifts` along `axes` (elements past the end come back at the start);  the gradient is g rolled
    back by -shifts."""
    def forward(self, a, shifts=None, axes=None):
        return xp(self.device).roll(a, shifts, axes)

    def backward(self, g, out, needs):
        return Roll.apply(g, shifts=tuple(-s for s in self.kw["shifts"]), axes=self.kw["axes"])


class Clone(Linear):
    """A copy of a;  d/da = 1."""
    def forward(self, a):
        return a.copy()

    def backward(self, g, out, needs):
        return g


def index_of(index, device, shape):
    """Normalise an index into a tensor of `shape`: Tensors/lists become arrays on the device; bool masks become
    their nonzero() arrays, after checking (as NumPy and torch do, IndexError) that each mask's shape is that of
    the dims it covers."""
    index = index if isinstance(index, tuple) else (index,)
    mod = xp(device)
    arrays = []
    for i in index:
        if isinstance(i, Tensor):
            i = i.data
        elif isinstance(i, list):
            i = mod.asarray(i)
        if hasattr(i, "dtype") and getattr(i, "ndim", 0) >= 0 and not isinstance(i, np.generic):
            i = mod.asarray(i) if device_of(i) != device else i
            if i.dtype != bool and i.dtype.kind not in "iu":
                raise IndexError(f"tensors used as indices must be integer or bool, got dtype {i.dtype}")
        arrays.append(i)
    # the dims each entry covers: None none, Ellipsis what the others leave, a mask its ndim, the rest one
    width = [0 if i is None or i is Ellipsis or isinstance(i, bool) else i.ndim if _is_mask(i) else 1
             for i in arrays]
    dim, out = 0, []
    for i, w in zip(arrays, width):
        if i is Ellipsis:
            dim += max(len(shape) - sum(width), 0)
        elif _is_mask(i):
            covered = tuple(shape[dim:dim + w])
            if i.ndim and covered != i.shape:
                raise IndexError(f"the boolean mask of shape {i.shape} does not match the shape {covered} of the "
                                 f"dims {dim}..{dim + w - 1} it indexes in a tensor of shape {tuple(shape)}")
            if i.ndim:
                out.extend(i.nonzero())
                dim += w
                continue
        else:
            dim += w
        out.append(i)
    return tuple(out)


def _is_mask(i):
    return getattr(i, "dtype", None) == bool and not isinstance(i, np.generic)


# ---- the Tensor methods made of these ops (bound in methods.py) ---------------------------------------------
def reshape(x, *shape):
    """x with the same elements in another shape (torch.reshape / view): shape as reshape(2, 3) or reshape((2, 3)),
    one entry may be -1 (inferred). x itself when the shape is unchanged; the gradient is reshaped back."""
    shape = shape_arg(shape)
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        shape = tuple(x.data.size // max(known, 1) if s == -1 else s for s in shape)
    if math.prod(shape) != x.data.size:
        raise ValueError(f"reshape: cannot view shape {x.shape} ({x.data.size} elements) as {shape}")
    return x if shape == x.shape else Reshape.apply(x, shape=shape)


def permute(x, *order):
    """x with its dims reordered: dim i of the result is dim order[i] of x (order as permute(2, 0, 1) or
    permute((2, 0, 1)), negative dims allowed); the gradient is permuted back."""
    order = tuple(shape_arg(order))
    if len(order) != x.ndim:
        raise ValueError(f"permute: {order} is not a permutation of the {x.ndim} dims of {x.shape}")
    order = tuple(dim_of(d, x.ndim) for d in order) if x.ndim else ()
    if sorted(order) != list(range(x.ndim)):
        raise ValueError(f"permute: {order} is not a permutation of the {x.ndim} dims of {x.shape}")
    return Permute.apply(x, order=order)


def transpose(x, dim0=-2, dim1=-1):
    """x with dims dim0 and dim1 swapped (torch.transpose; swapaxes and swapdims are the same)."""
    dim0, dim1 = dim_of(dim0, x.ndim), dim_of(dim1, x.ndim)
    if x.ndim == 0:  # torch: dims 0 / -1 of a 0-d tensor
        return x
    order = list(range(x.ndim))
    order[dim0], order[dim1] = order[dim1], order[dim0]
    return permute(x, *order)


def T(x):
    """All dims reversed (x.T)."""
    return permute(x, *range(x.ndim - 1, -1, -1))


def mT(x):
    """The last two dims swapped (x.mT)."""
    return transpose(x, -1, -2)


def flatten(x, start_dim=0, end_dim=-1):
    """x with the dims start_dim..end_dim (inclusive, negative allowed) merged into one; a 0-d x becomes shape
    (1,)."""
    s, e = dim_of(start_dim, x.ndim), dim_of(end_dim, x.ndim)
    if x.ndim == 0:
        return reshape(x, 1)
    if s > e:
        raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {x.shape}")
    return reshape(x, x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:])


def squeeze(x, dim=None):
    """x without its size-1 dims, or only the size-1 dims among `dim` (an int or a tuple; the others are kept,
    as torch)."""
    if dim is None:
        return reshape(x, tuple(s for s in x.shape if s != 1))
    dims = dims_of(dim, x.ndim)
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1)))


def unsqueeze(x, dim):
    """x with a new size-1 dim inserted at position dim (in [-x.ndim - 1, x.ndim])."""
    dim = dim_of(dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def expand(x, *shape):
    """x broadcast to `shape` without copying (torch.expand): size-1 dims grow, new dims are added in front, and
    -1 keeps a dim's size. The gradient sums over the broadcast dims."""
    shape = shape_arg(shape)
    shape = tuple(x.shape[i - len(shape) + x.ndim] if s == -1 else s for i, s in enumerate(shape))
    if shape == x.shape:
        return x
    try:
        ok = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"expand: shape {x.shape} cannot be expanded to {shape}")
    return Expand.apply(x, shape=shape)


def contiguous(x):
    """x itself (arrays here need no contiguous copy; kept for torch code)."""
    return x


def pad(x, pad, value=0.0):
    """Constant padding with `value`. `pad` is numpy-style ((lo, hi) per dim) or torch-style (lo, hi) pairs from
    the last dim backwards, e.g. (1, 1, 2, 2) pads W by 1 and H by 2. The gradient is the unpadded slice."""
    if all(isinstance(p, numbers.Integral) for p in pad):
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(f"pad: {pad} must hold (lo, hi) pairs for at most {x.ndim} dims")
        pairs = [(0, 0)] * x.ndim
        for i in range(len(pad) // 2):
            pairs[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    else:
        pairs = [tuple(p) for p in pad]
        if len(pairs) != x.ndim:
            raise ValueError(f"pad: {len(pairs)} (lo, hi) pairs for a tensor of shape {x.shape}")
    if any(lo < 0 or hi < 0 for lo, hi in pairs):
        raise ValueError(f"pad: negative padding {pad}")
    return Pad.apply(x, pads=tuple(pairs), value=value)


def getitem(x, index):
    """x[index] (ints, slices, None, Ellipsis, integer arrays / Tensors, bool masks), as NumPy and torch index;
    the gradient is scattered back, adding where an integer index repeats."""
    return Getitem.apply(x, index=index_of(index, x.device, x.shape))


def cat(tensors, dim=0):
    """The tensors (a non-empty sequence, equal shapes but along dim) joined along the existing dim (torch.cat;
    concat and concatenate are the same); each gets its slice of the gradient."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("cat(): expected a non-empty list of Tensors")
    ref = tensors[0]
    if ref.ndim == 0:
        raise RuntimeError("cat(): zero-dimensional tensor cannot be concatenated")
    dim = dim_of(dim, ref.ndim)
    for t in tensors[1:]:
        if t.ndim != ref.ndim or t.shape[:dim] + t.shape[dim + 1:] != ref.shape[:dim] + ref.shape[dim + 1:]:
            raise ValueError(f"cat: shapes {ref.shape} and {t.shape} differ outside dim {dim}")
    return Cat.apply(*tensors, dim=dim)


def stack(tensors, dim=0):
    """The tensors (a non-empty sequence of one shape) joined along a new dim inserted at position dim."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack(): expected a non-empty list of Tensors")
    dim = dim_of(dim, tensors[0].ndim + 1)
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: shapes {tensors[0].shape} and {t.shape} differ")
    return cat([unsqueeze(t, dim) for t in tensors], dim=dim)


# ---- PyTorch's shape and indexing methods, composed of the ops above ------------------------------------------------
def _dim(x, dim, name):
    """One dim of x as an index (IndexError naming the valid range, as torch: tensor.dim_of)."""
    return dim_of(dim, x.ndim)


def _dims(x, dims, name):
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    return tuple(_dim(x, d, name) for d in dims)


def flip(x, *dims):
    """x reversed along dims (torch: flip(dims) with a tuple, or flip(0, 1))."""
    dims = _dims(x, shape_arg(dims), "flip")
    return Flip.apply(x, axes=dims) if dims else x


def roll(x, shifts, dims=None):
    """Elements shifted by `shifts` along dims, wrapping around; dims=None: over the flattened tensor, as torch."""
    if dims is None:
        return Roll.apply(x.reshape(-1), shifts=(int(shifts),) if isinstance(shifts, numbers.Integral) else
                          tuple(shifts), axes=(0,)).reshape(x.shape)
    shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
    dims = _dims(x, dims, "roll")
    if len(shifts) != len(dims):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(dims)} dims")
    return Roll.apply(x, shifts=shifts, axes=dims)


def clone(x):
    """A copy of x's data that stays in the graph (d/dx = 1), as torch.clone."""
    return Clone.apply(x)


def repeat(x, *sizes):
    """x tiled sizes[i] times along dim i (torch's repeat, numpy's tile); extra leading sizes add dims.
    Composed: an expand between interleaved size-1 dims, then a reshape (the gradient is the expand's sum)."""
    sizes = shape_arg(sizes)
    if len(sizes) < x.ndim:
        raise ValueError(f"repeat: {len(sizes)} sizes for a tensor with {x.ndim} dims (need at least {x.ndim})")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    inter = tuple(v for s in shape for v in (1, s))
    big = tuple(v for r, s in zip(sizes, shape) for v in (r, s))
    return reshape(expand(reshape(x, inter), big), tuple(r * s for r, s in zip(sizes, shape)))


def tile(x, *dims):
    """As repeat, but fewer sizes than dims are padded with 1s in front (torch.tile)."""
    dims = shape_arg(dims)
    return repeat(x, (1,) * (x.ndim - len(dims)) + tuple(dims))


def narrow(x, dim, start, length):
    """x[..., start:start + length, ...] along dim (a negative start counts from the end)."""
    dim = _dim(x, dim, "narrow")
    n = x.shape[dim]
    start = start + n if start < 0 else start
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise IndexError(f"narrow: start {start} and length {length} are out of range for dim {dim} of size {n}")
    return Getitem.apply(x, index=(slice(None),) * dim + (slice(start, start + length),))


def split(x, split_size_or_sections, dim=0):
    """Pieces along dim: of size split_size_or_sections (the last may be smaller), or of the listed sizes."""
    d = _dim(x, dim, "split")
    n = x.shape[d]
    if isinstance(split_size_or_sections, numbers.Integral):
        size = int(split_size_or_sections)
        if size <= 0 and n:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [min(size, n - i) for i in range(0, n, size)] if n else [0]
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} do not sum to dim {d}'s size {n}")
    out, lo = [], 0
    for s in sizes:
        out.append(narrow(x, d, lo, s))
        lo += s
    return tuple(out)


def chunk(x, chunks, dim=0):
    """At most `chunks` pieces along dim, each of size ceil(n / chunks) but the last (torch.chunk)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = x.shape[_dim(x, dim, "chunk")]
    return split(x, max(-(-n // chunks), 1), dim)


def unbind(x, dim=0):
    """The slices along dim, that dim removed."""
    d = _dim(x, dim, "unbind")
    return tuple(Getitem.apply(x, index=(slice(None),) * d + (i,)) for i in range(x.shape[d]))


def movedim(x, source, destination):
    """Dims moved from source to destination (ints or tuples), the others keeping their order."""
    src, dst = _dims(x, source, "movedim"), _dims(x, destination, "movedim")
    if len(src) != len(dst) or len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must be distinct dims, as many")
    rest = iter(d for d in range(x.ndim) if d not in src)
    where = dict(zip(dst, src))
    return permute(x, *[where[i] if i in where else next(rest) for i in range(x.ndim)])


def swapaxes(x, axis0, axis1):
    """x with dims axis0 and axis1 swapped (torch.swapaxes / swapdims, as transpose)."""
    return transpose(x, _dim(x, axis0, "swapaxes"), _dim(x, axis1, "swapaxes"))


def t(x):
    """The transpose of a matrix; a 0-D or 1-D tensor as it is (torch.t)."""
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dims, got shape {x.shape}; use transpose or mT")
    return x if x.ndim < 2 else transpose(x, 0, 1)


def expand_as(x, other):
    """x expanded to other's shape (other: a Tensor)."""
    return expand(x, other.shape)


def reshape_as(x, other):
    """x reshaped to other's shape (other: a Tensor); view_as is the same."""
    return reshape(x, other.shape)


def _int_index(index, x, name):
    i = index.data if isinstance(index, Tensor) else xp(x.device).asarray(index)
    if device_of(i) != x.device:
        i = xp(x.device).asarray(i)
    if i.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got dtype {i.dtype}")
    return i


def _along(x, dim, idx, name):
    """The advanced index that reads x[..., idx[i, j, k], ...] (idx at dim, the position itself elsewhere), for
    an index of x's rank and no larger than x outside dim (torch's gather/scatter rule)."""
    if idx.ndim != max(x.ndim, 1):
        raise ValueError(f"{name}: index has {idx.ndim} dims but the tensor has {x.ndim}")
    for d, (si, sx) in enumerate(zip(idx.shape, x.shape)):
        if d != dim and si > sx:
            raise IndexError(f"{name}: index shape {idx.shape} is larger than {x.shape} in dim {d}")
    n = x.shape[dim]
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError(f"{name}: index out of range [0, {n}) for dim {dim}: min {int(idx.min())}, "
                         f"max {int(idx.max())}")
    m = xp(x.device)
    return tuple(idx if d == dim else m.arange(s).reshape((1,) * d + (s,) + (1,) * (idx.ndim - d - 1))
                 for d, s in enumerate(idx.shape))


def gather(x, dim, index):
    """out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (likewise for others); the gradient scatters back, adding
    where an index repeats."""
    d = _dim(x, dim, "gather")
    return Getitem.apply(x, index=_along(x, d, _int_index(index, x, "gather"), "gather"))


def scatter_add_along(x, dim, index, src):
    """x with src[i][j][k] added at [index[i][j][k]][j][k] (dim 0; likewise for others), repeated indices adding
    up; only src's part of index's shape is used. d/dx = 1; d/dsrc = g gathered at index."""
    d = _dim(x, dim, "scatter_add")
    idx = _int_index(index, x, "scatter_add")
    src = x.const(src)
    if src.ndim != idx.ndim or any(a > b for a, b in zip(idx.shape, src.shape)):
        raise ValueError(f"scatter_add: src of shape {src.shape} is smaller than index of shape {idx.shape}")
    if src.shape != idx.shape:
        src = Getitem.apply(src, index=tuple(slice(0, s) for s in idx.shape))
    return x + IndexAdd.apply(src.cast(x.dtype), index=_along(x, d, idx, "scatter_add"), shape=x.shape)


def index_select(x, dim, index):
    """The entries of x at the 1-D integer `index` along dim."""
    d = _dim(x, dim, "index_select")
    idx = _int_index(index, x, "index_select").reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= x.shape[d]):
        raise IndexError(f"index_select: index out of range [0, {x.shape[d]}) for dim {d}")
    return Getitem.apply(x, index=(slice(None),) * d + (idx,))


def masked_fill(x, mask, value):
    """x with `value` where the (broadcastable) bool mask is True; no gradient reaches x there."""
    m = mask.data if isinstance(mask, Tensor) else xp(x.device).asarray(mask)
    if m.dtype != bool:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}")
    value = value if isinstance(value, Tensor) else x.const(value)
    return Tensor.where(m, value.cast(x.dtype), x)


_SortResult = collections.namedtuple("sort", ["values", "indices"])
_TopkResult = collections.namedtuple("topk", ["values", "indices"])


def _argsort(x, dim, descending):
    a = x.data
    if a.dtype == bool:
        a = a.astype(np.int8)
    if descending:  # stable descending: ascending order of the reversed array, mapped back, then reversed
        m = xp(x.device)
        n = a.shape[dim]
        i = m.flip(m.argsort(m.flip(a, dim), axis=dim, kind="stable"), dim)
        return n - 1 - i
    return xp(x.device).argsort(a, axis=dim, kind="stable")


def sort(x, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along dim, ascending or, with descending=True, descending, as torch.sort (always
    stable here, whatever `stable` says: ties keep their order); values carry the gradient."""
    if x.ndim == 0:
        return _SortResult(x, Tensor.zeros((), dtype=np.int64, device=x.device))
    d = _dim(x, dim, "sort")
    i = _argsort(x, d, descending)
    return _SortResult(gather(x, d, i), Tensor.wrap(i.astype(np.int64, copy=False), x.device))


def argsort(x, dim=-1, descending=False, stable=False):
    """The indices that sort x along dim (descending: largest first), as sort(x, dim, descending, stable).indices
    (always stable)."""
    return sort(x, dim, descending, stable).indices


def topk(x, k, dim=-1, largest=True, sorted=True):
    """The k largest (largest=False: smallest) entries along dim and their indices, in order (torch.topk; the
    result is sorted whatever `sorted` says); ties keep the lower index first."""
    if x.ndim == 0:
        return _TopkResult(x, Tensor.zeros((), dtype=np.int64, device=x.device))
    d = _dim(x, dim, "topk")
    if not 0 <= k <= x.shape[d]:
        raise IndexError(f"topk: k = {k} is out of range for dim {d} of size {x.shape[d]}")
    i = _argsort(x, d, largest)
    i = i[(slice(None),) * d + (slice(0, k),)]
    return _TopkResult(gather(x, d, i), Tensor.wrap(i.astype(np.int64, copy=False), x.device))

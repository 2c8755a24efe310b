"""Shape ops, and the Tensor methods made of them. Each op is linear and its backward is the adjoint movement:
reshape<->reshape, permute<->inverse permute, expand<->sum, pad<->slice, getitem<->scatter-add (repeated
indices accumulate), cat<->slices."""
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
    shape = shape_arg(shape)
    if -1 in shape:
        known = math.prod(s for s in shape if s != -1)
        shape = tuple(x.data.size // max(known, 1) if s == -1 else s for s in shape)
    if math.prod(shape) != x.data.size:
        raise ValueError(f"reshape: cannot view shape {x.shape} ({x.data.size} elements) as {shape}")
    return x if shape == x.shape else Reshape.apply(x, shape=shape)


def permute(x, *order):
    order = tuple(shape_arg(order))
    if len(order) != x.ndim:
        raise ValueError(f"permute: {order} is not a permutation of the {x.ndim} dims of {x.shape}")
    order = tuple(dim_of(d, x.ndim) for d in order) if x.ndim else ()
    if sorted(order) != list(range(x.ndim)):
        raise ValueError(f"permute: {order} is not a permutation of the {x.ndim} dims of {x.shape}")
    return Permute.apply(x, order=order)


def transpose(x, dim0=-2, dim1=-1):
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
    dim = dim_of(dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def expand(x, *shape):
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
    return x


def pad(x, pad, value=0.0):
    """Constant padding. `pad` is numpy-style ((lo, hi) per dim) or torch-style (lo, hi) pairs from the last
    dim backwards, e.g. (1, 1, 2, 2) pads W by 1 and H by 2."""
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
    return Getitem.apply(x, index=index_of(index, x.device, x.shape))


def cat(tensors, dim=0):
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
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack(): expected a non-empty list of Tensors")
    dim = dim_of(dim, tensors[0].ndim + 1)
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: shapes {tensors[0].shape} and {t.shape} differ")
    return cat([unsqueeze(t, dim) for t in tensors], dim=dim)

"""Shape ops. Each backward is the adjoint movement: reshape<->reshape, expand<->sum, pad<->slice,
getitem<->scatter-add (repeated indices accumulate), cat<->slices."""
import numpy as np

from ..autograd import Function, LazyGrad, is_grad_enabled
from ..backend import device_of, scatter_add, xp
from ..tensor import Tensor


class Linear(Function):
    """A linear op of one input: its JVP is the op itself applied to the tangent."""

    def jvp(self, tangents, out):
        return type(self).apply(tangents[0], **self.kw)


class Reshape(Linear):
    def forward(self, a, shape=None):
        self.in_shape = a.shape
        return a.reshape(shape)

    def backward(self, g, out):
        return g.reshape(self.in_shape)


class Permute(Linear):
    def forward(self, a, order=None):
        self.inv = tuple(sorted(range(len(order)), key=order.__getitem__))
        return a.transpose(order)

    def backward(self, g, out):
        return g.permute(*self.inv)


class Expand(Linear):
    def forward(self, a, shape=None):
        self.in_shape = a.shape
        return xp(self.device).broadcast_to(a, shape)

    def backward(self, g, out):
        return g.sum_to(self.in_shape)


class Pad(Function):
    def forward(self, a, pads=None, value=0.0):
        self.slices = tuple(slice(lo, lo + s) for (lo, _), s in zip(pads, a.shape))
        return xp(self.device).pad(a, pads, constant_values=value)

    def backward(self, g, out):
        return g[self.slices]

    def jvp(self, tangents, out):  # the padding is a constant: its tangent is 0 whatever the pad value
        return Pad.apply(tangents[0], pads=self.kw["pads"], value=0.0)


def _is_advanced(index):
    return any(hasattr(i, "dtype") and getattr(i, "ndim", 0) >= 0 and not isinstance(i, np.generic)
               for i in index)


class SparseGrad(LazyGrad):
    """d(x[index])/dx applied to g: g at `index`, zero elsewhere, left unmaterialised in a plain backward. The
    walk adds it into one buffer in place, so T slices of one tensor (an LSTM's per-step gate projections) cost
    T small writes instead of T full-size arrays and T full-size additions."""
    __slots__ = ("g", "index", "shape", "dtype", "device")

    def __init__(self, g, index, shape):
        self.g, self.index, self.shape, self.dtype, self.device = g, index, shape, g.dtype, g.device

    def add_to(self, arr):
        if _is_advanced(self.index):
            scatter_add(arr, self.index, self.g.data)
        else:
            arr[self.index] += self.g.data

    def dense(self):
        arr = xp(self.device).zeros(self.shape, dtype=self.dtype)
        self.add_to(arr)
        return Tensor._wrap(arr, self.device)


class Getitem(Linear):
    def forward(self, a, index=None):
        self.in_shape, self.index = a.shape, index
        return a[index]

    def backward(self, g, out):
        if not is_grad_enabled():  # a plain backward: let the walk add g in place (see SparseGrad)
            return SparseGrad(g, self.index, self.in_shape)
        return IndexAdd.apply(g, index=self.index, shape=self.in_shape)


class IndexAdd(Linear):
    """zeros(shape)[index] += g: the adjoint of indexing. Its own backward is indexing again."""
    def forward(self, g, index=None, shape=None):
        self.index = index
        out = xp(self.device).zeros(shape, dtype=g.dtype)
        if _is_advanced(index):
            scatter_add(out, index, g)
        else:  # basic slicing never repeats an element
            out[index] = g
        return out

    def backward(self, g, out):
        return g[self.index]


class Cat(Function):
    def forward(self, *arrays, dim=0):
        sizes = np.cumsum([0] + [a.shape[dim] for a in arrays])
        self.slices = [(slice(None),) * dim + (slice(int(lo), int(hi)),) for lo, hi in zip(sizes[:-1], sizes[1:])]
        return xp(self.device).concatenate(arrays, axis=dim)

    def backward(self, g, out):
        return tuple(g[s] if need else None for s, need in zip(self.slices, self.needs))

    def jvp(self, tangents, out):
        return Cat.apply(*[Tensor.zeros_like(p) if t is None else t for p, t in zip(self.parents, tangents)],
                         **self.kw)


def index_of(index, device):
    """Normalise an index: Tensors/lists become arrays on the device; bool masks become their nonzero() arrays."""
    index = index if isinstance(index, tuple) else (index,)
    mod = xp(device)
    out = []
    for i in index:
        if isinstance(i, Tensor):
            i = i.data
        elif isinstance(i, list):
            i = mod.asarray(i)
        if hasattr(i, "dtype") and getattr(i, "ndim", 0) >= 0 and not isinstance(i, np.generic):
            i = mod.asarray(i) if device_of(i) != device else i
            if i.dtype == bool:
                out.extend(i.nonzero())
                continue
            if i.dtype.kind not in "iu":
                raise IndexError(f"tensors used as indices must be integer or bool, got dtype {i.dtype}")
        out.append(i)
    return tuple(out)

"""Shape ops. Each backward is the adjoint movement: reshape<->reshape, expand<->sum, pad<->slice,
getitem<->scatter-add (repeated indices accumulate), cat<->slices."""
import numpy as np

from ..autograd import Function, SparseGrad, is_grad_enabled
from ..backend import scatter_add, xp
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

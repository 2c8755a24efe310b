"""Reductions, and the Tensor methods made of them. Sum's backward is an expand and Max's a mask: both are
Tensor ops, so both differentiate again."""
import builtins
import math

from ..autograd import Function, Linear
from ..backend import xp
from ..tensor import Tensor, dims_of


def _keep(g, in_shape, axis, keepdim):
    """Put the reduced dims back as size-1 dims so g broadcasts against the input."""
    if keepdim or axis is None and g.ndim == len(in_shape):
        return g
    shape = [1 if axis is None or i in axis else s for i, s in enumerate(in_shape)]
    return g.reshape(shape)


class Sum(Linear):
    """Σ a over `axis`;  d/da = 1 everywhere: the gradient is g broadcast back to a's shape."""
    def forward(self, a, axis=None, keepdim=False):
        self.in_shape, self.axis, self.keepdim = a.shape, axis, keepdim
        return a.sum(axis=axis, keepdims=keepdim)

    def backward(self, g, out, needs):
        return _keep(g, self.in_shape, self.axis, self.keepdim).expand(self.in_shape)


class Max(Function):
    """max a over `axis`;  d/da = w, with w the maxima's weights: split evenly between ties (torch.amax), or with
    first=True all on the first maximum along a single axis (torch.max(dim) and max-pooling)."""
    def forward(self, a, axis=None, keepdim=False, first=False):
        self.in_shape, self.axis, self.keepdim = a.shape, axis, keepdim
        m = a.max(axis=axis, keepdims=True)
        mask = a == m
        if first:
            mask &= mask.cumsum(axis=axis[0]) == 1
            self.w = mask.astype(a.dtype)
        else:
            self.w = mask / mask.sum(axis=axis, keepdims=True, dtype=a.dtype)
        return m if keepdim else m.reshape(out_shape(a.shape, axis))

    def backward(self, g, out, needs):
        return _keep(g, self.in_shape, self.axis, self.keepdim).expand(self.in_shape) * Tensor.wrap(self.w, self.device)

    def jvp(self, tangents, out):
        return Sum.apply(tangents[0] * Tensor.wrap(self.w, self.device), axis=self.axis, keepdim=self.keepdim)


def out_shape(shape, axis):
    return () if axis is None else tuple(s for i, s in enumerate(shape) if i not in axis)


# ---- the Tensor methods made of these ops (bound in methods.py) ---------------------------------------------
def sum(x, dim=None, keepdim=False, axis=None):  # noqa: A001 (torch's name)
    return Sum.apply(x, axis=dims_of(dim if axis is None else axis, x.ndim), keepdim=keepdim)


def _count(x, axes):
    return x.data.size if axes is None else math.prod(x.shape[a] for a in axes)


def mean(x, dim=None, keepdim=False, axis=None):
    """Σ x / n over dim; the mean of no elements is nan, as torch."""
    axes = dims_of(dim if axis is None else axis, x.ndim)
    n = _count(x, axes)
    return sum(x, axes, keepdim) * (1.0 / n if n else math.nan)


def var(x, dim=None, keepdim=False, correction=None, unbiased=None, axis=None):
    axes = dims_of(dim if axis is None else axis, x.ndim)
    corr = (1 if unbiased is None or unbiased else 0) if correction is None else correction
    d = x - mean(x, axes, keepdim=True)
    ss, dof = sum(d * d, axes, keepdim), builtins.max(_count(x, axes) - corr, 0)
    return ss * (1.0 / dof) if dof else ss / 0.0  # no degrees of freedom left: nan (or inf), as torch


def std(x, dim=None, keepdim=False, correction=None, unbiased=None):
    return var(x, dim, keepdim, correction, unbiased).sqrt()


def max(x, dim=None, keepdim=False, axis=None):  # noqa: A001 (torch's name)
    """Largest values (ties share the gradient evenly, as torch.amax)."""
    return Max.apply(x, axis=dims_of(dim if axis is None else axis, x.ndim), keepdim=keepdim)


def min(x, dim=None, keepdim=False, axis=None):  # noqa: A001 (torch's name)
    return -max(-x, dim, keepdim, axis)


def argmax(x, dim=None, keepdim=False):
    i = xp(x.device).argmax(x.data, axis=dim)
    if keepdim and dim is not None:
        i = xp(x.device).expand_dims(i, dim)
    return Tensor.wrap(i, x.device)


def argmin(x, dim=None, keepdim=False):
    return argmax(-x, dim, keepdim)


def sum_to(x, shape):
    """Sum broadcast dims away so the result has `shape` (the adjoint of expand)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    out = Sum.apply(x, axis=axes, keepdim=True) if axes else x
    return out.reshape(shape)

"""Reductions, and the Tensor methods made of them. Sum's backward is an expand and Max's a mask: both are
Tensor ops, so both differentiate again."""
import builtins
import collections
import math
import numbers

from ..autograd import Function, Linear
from ..backend import xp
from ..tensor import Tensor, dim_of, dims_of
from .elementwise import maximum, minimum


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
    """max a over `axis` (nan where a slice holds a nan);  d/da = w, with w the maxima's weights: split evenly
    between ties (torch.amax, torch.max()), or with first=True all on the first maximum along a single axis, the
    element whose index max(dim) returns (torch.max(dim), max-pooling). A nan is the maximum of its slice."""
    def forward(self, a, axis=None, keepdim=False, first=False):
        self.in_shape, self.axis, self.keepdim, self.first = a.shape, axis, keepdim, first
        m = a.max(axis=axis, keepdims=True)
        self.a, self.m, self._w = a, m, None  # the weights are made when a derivative needs them
        return m if keepdim else m.reshape(out_shape(a.shape, axis))

    @property
    def w(self):
        if self._w is None:
            a, m, axis = self.a, self.m, self.axis
            mask = a == m
            if a.dtype.kind in "fc":
                mask |= (a != a) & (m != m)  # nan is the maximum (the value is nan): it gets the gradient
            if self.first:
                mask &= mask.cumsum(axis=axis[0]) == 1
                self._w = mask.astype(a.dtype)
            else:
                self._w = mask / mask.sum(axis=axis, keepdims=True, dtype=a.dtype)
        return self._w

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


MaxResult = collections.namedtuple("max", ["values", "indices"])  # what x.max(dim) returns, as torch.return_types
MinResult = collections.namedtuple("min", ["values", "indices"])


def max(x, dim=None, keepdim=False, axis=None):  # noqa: A001 (torch's name)
    """As torch.max: x.max() is the largest value (ties share the gradient evenly); x.max(dim) is the named tuple
    (values, indices) along one dim, the gradient going to the element `indices` names (the first maximum);
    x.max(other_tensor) is maximum(x, other). For the values over several dims, amax."""
    dim = dim if axis is None else axis
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    if dim is None:
        return amax(x, keepdim=keepdim) if keepdim else amax(x)
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"max(dim): dim must be an int, got {dim!r} (amax reduces over several dims)")
    d = dims_of(dim, x.ndim)
    return MaxResult(Max.apply(x, axis=d, keepdim=keepdim, first=bool(d)), argmax(x, dim, keepdim))


def min(x, dim=None, keepdim=False, axis=None):  # noqa: A001 (torch's name)
    """As torch.min: x.min() the smallest value; x.min(dim) the named tuple (values, indices); x.min(other)
    is minimum(x, other)."""
    dim = dim if axis is None else axis
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    if dim is None:
        return -max(-x, keepdim=keepdim)
    if not isinstance(dim, numbers.Integral):
        raise TypeError(f"min(dim): dim must be an int, got {dim!r} (amin reduces over several dims)")
    return MinResult(-max(-x, dim, keepdim).values, argmin(x, dim, keepdim))


def amax(x, dim=None, keepdim=False):
    """Largest values over dim (an int, a tuple, or None / () for all), as torch.amax: ties share the gradient
    evenly."""
    axes = dims_of(None if dim == () else dim, x.ndim)
    return Max.apply(x, axis=axes, keepdim=keepdim)


def amin(x, dim=None, keepdim=False):
    """Smallest values over dim, as torch.amin: ties share the gradient evenly."""
    return -amax(-x, dim, keepdim)


def _arg(fn, x, dim, keepdim):
    m = xp(x.device)
    if dim is None:
        i = fn(x.data)
        return Tensor.wrap(m.asarray(i).reshape((1,) * x.ndim if keepdim else ()), x.device)
    d = dim_of(dim, x.ndim)
    i = fn(x.data, axis=d) if x.ndim else m.asarray(0)
    if keepdim and x.ndim:
        i = m.expand_dims(i, d)
    return Tensor.wrap(m.asarray(i), x.device)


def argmax(x, dim=None, keepdim=False):
    """Index of the (first) largest value along dim, or into the flattened x (torch.argmax); a nan counts as
    the largest."""
    return _arg(xp(x.device).argmax, x, dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    """Index of the (first) smallest value along dim, or into the flattened x (torch.argmin)."""
    return _arg(xp(x.device).argmin, x, dim, keepdim)


def sum_to(x, shape):
    """Sum broadcast dims away so the result has `shape` (the adjoint of expand)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    out = Sum.apply(x, axis=axes, keepdim=True) if axes else x
    return out.reshape(shape)

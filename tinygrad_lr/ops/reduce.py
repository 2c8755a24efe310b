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


class Prod(Function):
    """Π a over one axis;  d/da_i = Π_{j≠i} a_j: out/a_i where no factor is 0, else the products of the factors
    before and after i (exclusive running products, in Tensor ops), so zeros get their exact gradient."""
    def forward(self, a, axis=0, keepdim=False):
        self.axis, self.keepdim = axis, keepdim
        self.zero = bool((a == 0).any())
        return a.prod(axis=axis, keepdims=keepdim)

    def backward(self, g, out, needs):
        a, ax = self.parents[0], self.axis
        if not self.keepdim:
            g, out = g.unsqueeze(ax), out.unsqueeze(ax)
        if not self.zero:
            return g * out / a
        return g * _others_product(a, ax)


def _others_product(a, ax):
    """Π_{j≠i} a_j along ax for every i: the exclusive running product from the left times that from the right."""
    n = a.shape[ax]
    sl = [a.narrow(ax, i, 1) for i in range(n)]
    ones = Tensor.ones_like(sl[0]) if n else None
    left, right = [ones], [ones]
    for i in range(n - 1):
        left.append(left[-1] * sl[i])
        right.append(right[-1] * sl[n - 1 - i])
    return Tensor.cat([lft * rgt for lft, rgt in zip(left, right[::-1])], ax)


class Cumsum(Linear):
    """Running sum along `axis` (from the end when reverse);  linear, its adjoint is the running sum the other way:
    d/da = Cumsum(g, reverse=not reverse)."""
    def forward(self, a, axis=0, reverse=False):
        m = xp(self.device)
        if reverse:
            return m.flip(m.flip(a, axis).cumsum(axis), axis)
        return a.cumsum(axis)

    def backward(self, g, out, needs):
        return Cumsum.apply(g, axis=self.kw["axis"], reverse=not self.kw["reverse"])


def out_shape(shape, axis):
    """shape without the dims in axis (a tuple; None: all of them)."""
    return () if axis is None else tuple(s for i, s in enumerate(shape) if i not in axis)


# ---- the Tensor methods made of these ops (bound in methods.py) ---------------------------------------------
def sum(x, dim=None, keepdim=False, axis=None, *, dtype=None):  # noqa: A001 (torch's name)
    """Σ over dim (an int, a tuple, or None for all dims; axis is NumPy's name for it); keepdim: keep the reduced
    dims with size 1; dtype: cast x to it first, as torch.sum(dtype=). The gradient is broadcast back."""
    if dtype is not None:
        x = x.cast(dtype)
    return Sum.apply(x, axis=dims_of(dim if axis is None else axis, x.ndim), keepdim=keepdim)


def _count(x, axes):
    return x.data.size if axes is None else math.prod(x.shape[a] for a in axes)


def mean(x, dim=None, keepdim=False, axis=None, *, dtype=None):
    """Σ x / n over dim (an int, a tuple, or None for all; axis is NumPy's name for it); keepdim: keep the reduced
    dims with size 1; dtype: cast x to it first. The mean of no elements is nan, as torch."""
    if dtype is not None:
        x = x.cast(dtype)
    axes = dims_of(dim if axis is None else axis, x.ndim)
    n = _count(x, axes)
    return sum(x, axes, keepdim) * (1.0 / n if n else math.nan)


def var(x, dim=None, keepdim=False, correction=None, unbiased=None, axis=None):
    """The variance Σ(x - mean)² / (n - correction) over dim (an int, a tuple, or None for all; axis is NumPy's
    name for it), as torch.var: correction defaults to 1 (Bessel's), unbiased=False means correction 0; keepdim:
    keep the reduced dims with size 1. No degrees of freedom left (n <= correction) gives nan or inf."""
    axes = dims_of(dim if axis is None else axis, x.ndim)
    corr = (1 if unbiased is None or unbiased else 0) if correction is None else correction
    d = x - mean(x, axes, keepdim=True)
    ss, dof = sum(d * d, axes, keepdim), builtins.max(_count(x, axes) - corr, 0)
    return ss * (1.0 / dof) if dof else ss / 0.0  # no degrees of freedom left: nan (or inf), as torch


def std(x, dim=None, keepdim=False, correction=None, unbiased=None):
    """√var(x, dim, keepdim, correction, unbiased): the standard deviation over dim, as torch.std (see var)."""
    return var(x, dim, keepdim, correction, unbiased).sqrt()


MaxResult = collections.namedtuple("max", ["values", "indices"])  # what x.max(dim) returns, as torch.return_types
MinResult = collections.namedtuple("min", ["values", "indices"])


def max(x, dim=None, keepdim=False, axis=None):  # noqa: A001 (torch's name)
    """As torch.max: x.max() is the largest value (ties share the gradient evenly); x.max(dim) is the named tuple
    (values, indices) along one dim, the gradient going to the element `indices` names (the first maximum);
    x.max(other_tensor) is maximum(x, other). For the values over several dims, amax. keepdim: keep the reduced
    dim with size 1; axis is NumPy's name for dim."""
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
    is minimum(x, other). keepdim: keep the reduced dim with size 1; axis is NumPy's name for dim."""
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
    evenly. keepdim: keep the reduced dims with size 1."""
    axes = dims_of(None if dim == () else dim, x.ndim)
    return Max.apply(x, axis=axes, keepdim=keepdim)


def amin(x, dim=None, keepdim=False):
    """Smallest values over dim, as torch.amin: ties share the gradient evenly. keepdim: keep the reduced dims
    with size 1."""
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
    """Index of the (first) largest value along dim, or into the flattened x when dim is None (torch.argmax); a
    nan counts as the largest. keepdim: keep the reduced dim with size 1. An int64 tensor, no gradient."""
    return _arg(xp(x.device).argmax, x, dim, keepdim)


def argmin(x, dim=None, keepdim=False):
    """Index of the (first) smallest value along dim, or into the flattened x when dim is None (torch.argmin).
    keepdim: keep the reduced dim with size 1. An int64 tensor, no gradient."""
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


def prod(x, dim=None, keepdim=False, *, dtype=None):
    """Π over one dim, or over all elements (dim=None), as torch.prod; keepdim: keep the reduced dim with size 1;
    dtype: cast x to it first."""
    if dtype is not None:
        x = x.cast(dtype)
    if dim is None:
        return Prod.apply(x.reshape(-1), axis=0, keepdim=False)
    if x.ndim == 0:
        dim_of(dim, 0)
        return x
    return Prod.apply(x, axis=dim_of(dim, x.ndim), keepdim=keepdim)


def cumsum(x, dim, *, dtype=None):
    """The running sum along dim (torch.cumsum); dtype: cast x to it first. The gradient is the reversed running
    sum of the incoming gradient."""
    if dtype is not None:
        x = x.cast(dtype)
    if x.ndim == 0:
        return x
    return Cumsum.apply(x, axis=dim_of(dim, x.ndim), reverse=False)


def any(x, dim=None, keepdim=False):  # noqa: A001 (torch's name)
    """True where some element (over dim; None: all) is nonzero; a bool tensor, no gradient. keepdim: keep the
    reduced dims with size 1."""
    return Tensor.wrap(xp(x.device).asarray(x.data.any(axis=dims_of(dim, x.ndim), keepdims=keepdim)), x.device)


def all(x, dim=None, keepdim=False):  # noqa: A001 (torch's name)
    """True where every element (over dim; None: all) is nonzero; a bool tensor, no gradient. keepdim: keep the
    reduced dims with size 1."""
    return Tensor.wrap(xp(x.device).asarray(x.data.all(axis=dims_of(dim, x.ndim), keepdims=keepdim)), x.device)


def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm over dim (all elements when None), as torch.Tensor.norm: p = 2 / "fro" (√Σx², gradient 0
    at x = 0 by sqrt's convention), 1, inf (max |x|, ties share the gradient), -inf, 0 (the count of nonzeros, zero
    gradient), any other p: (Σ|x|^p)^(1/p). A matrix norm ("nuc", or p = 2 over two dims) is not provided.
    keepdim: keep the reduced dims with size 1; dtype: cast x to it first."""
    if dtype is not None:
        x = x.cast(dtype)
    axes = dims_of(dim, x.ndim)
    if p == "nuc":
        raise NotImplementedError("norm: matrix norms (p='nuc') are not provided")
    if p in ("fro", None, 2):
        return sum(x * x, axes, keepdim).sqrt()
    if p == 1:
        return sum(x.abs(), axes, keepdim)
    if p == math.inf:
        return Max.apply(x.abs(), axis=axes, keepdim=keepdim)
    if p == -math.inf:
        return -Max.apply(-x.abs(), axis=axes, keepdim=keepdim)
    if p == 0:
        return sum((x != 0).cast(x.dtype), axes, keepdim)
    return sum(x.abs() ** p, axes, keepdim) ** (1.0 / p)

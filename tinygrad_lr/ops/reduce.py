"""Reductions. Sum's backward is an expand and Max's a mask: both are Tensor ops, so both differentiate again."""
from ..autograd import Function
from ..tensor import Tensor


def _keep(g, in_shape, axis, keepdim):
    """Put the reduced dims back as size-1 dims so g broadcasts against the input."""
    if keepdim or axis is None and g.ndim == len(in_shape):
        return g
    shape = [1 if axis is None or i in axis else s for i, s in enumerate(in_shape)]
    return g.reshape(shape)


class Sum(Function):
    def forward(self, a, axis=None, keepdim=False):
        self.in_shape, self.axis, self.keepdim = a.shape, axis, keepdim
        return a.sum(axis=axis, keepdims=keepdim)

    def backward(self, g, out):
        return _keep(g, self.in_shape, self.axis, self.keepdim).expand(self.in_shape)

    def jvp(self, tangents, out):
        return Sum.apply(tangents[0], **self.kw)


class Max(Function):
    """Max over axes. The gradient goes to the maxima, split evenly between ties (torch.amax), or with
    first=True all to the first maximum along a single axis (torch.max(dim) and max-pooling)."""
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

    def backward(self, g, out):
        return _keep(g, self.in_shape, self.axis, self.keepdim).expand(self.in_shape) * Tensor._wrap(self.w, self.device)

    def jvp(self, tangents, out):
        return Sum.apply(tangents[0] * Tensor._wrap(self.w, self.device), axis=self.axis, keepdim=self.keepdim)


def out_shape(shape, axis):
    return () if axis is None else tuple(s for i, s in enumerate(shape) if i not in axis)

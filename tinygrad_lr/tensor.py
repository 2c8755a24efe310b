"""Tensor: an array (NumPy or CuPy) plus the graph node that made it, with PyTorch's names for its methods."""
import math
import numbers

import numpy as np

from . import autograd, backend
from .backend import xp

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_


def _dims(dim, ndim):
    """Normalise a dim / tuple of dims (negative allowed) to a sorted tuple, or None for all."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    out = []
    for d in dims:
        if not -ndim <= d < max(ndim, 1):
            raise IndexError(f"dim {d} is out of range for a tensor with {ndim} dims")
        out.append(d % max(ndim, 1))
    return tuple(sorted(out))


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


class Tensor:
    __slots__ = ("data", "grad", "requires_grad", "device", "_ctx", "__weakref__")
    __array_priority__ = 1000  # numpy scalars/arrays on the left defer to our reflected operators

    def __init__(self, data, requires_grad=False, device=None, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray) or hasattr(data, "__cuda_array_interface__"):
            dev = backend.device_of(data) if device is None else backend.canonical_device(device)
            arr = backend.to_device(data, dev)
            if dtype is not None:
                arr = arr.astype(dtype, copy=False)
        else:  # Python scalars and (nested) lists: float32 unless bool or a dtype is given
            dev = backend.canonical_device(device)
            arr = np.asarray(data)
            if dtype is None:
                dtype = arr.dtype if isinstance(data, np.generic) or arr.dtype == np.bool_ else np.float32
            arr = backend.to_device(arr.astype(dtype, copy=False), dev)
        if requires_grad and arr.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require gradients; got dtype {arr.dtype}")
        self.data, self.grad, self.requires_grad, self.device, self._ctx = arr, None, bool(requires_grad), dev, None

    @staticmethod
    def _wrap(arr, device, requires_grad=False):
        t = Tensor.__new__(Tensor)
        t.data, t.grad, t.requires_grad, t.device, t._ctx = arr, None, requires_grad, device, None
        return t

    # ---- properties -------------------------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)
    T = property(lambda self: self.permute(*range(self.ndim - 1, -1, -1)))
    mT = property(lambda self: self.transpose(-1, -2))

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def numel(self):
        return int(self.data.size)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        g = ", requires_grad=True" if self.requires_grad else ""
        d = "" if self.device == "cpu" else f", device='{self.device}'"
        return f"Tensor({np.array2string(self.numpy(), separator=', ', prefix='Tensor(')}, dtype={self.dtype}{d}{g})"

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.item())

    # ---- conversion ---------------------------------------------------------------------------------------------
    def numpy(self):
        return backend.to_host(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        return Tensor._wrap(self.data, self.device)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require gradients; got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    def to(self, device=None, dtype=None):
        t = self
        if device is not None and backend.canonical_device(device) != self.device:
            dev = backend.canonical_device(device)
            t = To.apply(t, device=dev)
        if dtype is not None and np.dtype(dtype) != t.dtype:
            t = t.cast(dtype)
        return t

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}")

    def cast(self, dtype):
        return self if np.dtype(dtype) == self.dtype else Cast.apply(self, dtype=np.dtype(dtype))

    astype = cast
    float = lambda self: self.cast(np.float32)  # noqa: E731
    double = lambda self: self.cast(np.float64)  # noqa: E731
    long = lambda self: self.cast(np.int64)  # noqa: E731

    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        autograd.backward(self, gradient, retain_graph, create_graph)

    # ---- construction -------------------------------------------------------------------------------------------
    @staticmethod
    def _full(shape, fill, device, dtype, requires_grad):
        dev = backend.canonical_device(device)
        arr = xp(dev).full(_shape(shape), fill, dtype=np.float32 if dtype is None else dtype)
        return Tensor(arr, requires_grad=requires_grad)

    @staticmethod
    def zeros(*shape, device=None, dtype=None, requires_grad=False):
        return Tensor._full(shape, 0, device, dtype, requires_grad)

    @staticmethod
    def ones(*shape, device=None, dtype=None, requires_grad=False):
        return Tensor._full(shape, 1, device, dtype, requires_grad)

    @staticmethod
    def full(shape, fill_value, device=None, dtype=None, requires_grad=False):
        return Tensor._full((shape,), fill_value, device, dtype, requires_grad)

    @staticmethod
    def randn(*shape, device=None, dtype=None, requires_grad=False):
        arr = backend.rng(backend.canonical_device(device)).standard_normal(_shape(shape), dtype=dtype or np.float32)
        return Tensor(arr, requires_grad=requires_grad)

    @staticmethod
    def rand(*shape, device=None, dtype=None, requires_grad=False):
        arr = backend.rng(backend.canonical_device(device)).random(_shape(shape), dtype=dtype or np.float32)
        return Tensor(arr, requires_grad=requires_grad)

    @staticmethod
    def arange(start, end=None, step=1, device=None, dtype=None, requires_grad=False):
        if end is None:
            start, end = 0, start
        ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dt = dtype or (np.int64 if ints else np.float32)
        arr = xp(backend.canonical_device(device)).arange(start, end, step, dtype=dt)
        return Tensor(arr, requires_grad=requires_grad)

    @staticmethod
    def eye(n, m=None, device=None, dtype=None, requires_grad=False):
        arr = xp(backend.canonical_device(device)).eye(n, m, dtype=dtype or np.float32)
        return Tensor(arr, requires_grad=requires_grad)

    # ---- operator sugar -----------------------------------------------------------------------------------------
    def _const(self, x):
        """A Python scalar / array as a constant Tensor on this tensor's device (float scalars take its dtype)."""
        if isinstance(x, Tensor):
            return x
        if isinstance(x, numbers.Number) and self.data.dtype.kind == "f":
            return Tensor._wrap(xp(self.device).asarray(x, dtype=self.data.dtype), self.device)
        return Tensor(x, device=self.device)

    def _binary(self, op, other, reverse=False):
        other = self._const(other)
        a, b = (other, self) if reverse else (self, other)
        try:
            return op.apply(a, b)
        except ValueError as e:
            if a.shape != b.shape and "broadcast" in str(e):
                raise ValueError(f"{op.__name__}: shapes {a.shape} and {b.shape} cannot be broadcast together") \
                    from None
            raise

    __add__ = lambda self, o: self._binary(Add, o)  # noqa: E731
    __radd__ = lambda self, o: self._binary(Add, o, True)  # noqa: E731
    __sub__ = lambda self, o: self._binary(Sub, o)  # noqa: E731
    __rsub__ = lambda self, o: self._binary(Sub, o, True)  # noqa: E731
    __mul__ = lambda self, o: self._binary(Mul, o)  # noqa: E731
    __rmul__ = lambda self, o: self._binary(Mul, o, True)  # noqa: E731
    __truediv__ = lambda self, o: self._binary(Div, o)  # noqa: E731
    __rtruediv__ = lambda self, o: self._binary(Div, o, True)  # noqa: E731
    __pow__ = lambda self, o: self._binary(Pow, o)  # noqa: E731
    __rpow__ = lambda self, o: self._binary(Pow, o, True)  # noqa: E731
    __neg__ = lambda self: Neg.apply(self)  # noqa: E731
    add, sub, mul, div, pow = __add__, __sub__, __mul__, __truediv__, __pow__

    def __matmul__(self, other):
        return Tensor.matmul(self, self._const(other))

    def __rmatmul__(self, other):
        return Tensor.matmul(self._const(other), self)

    def matmul(self, other):
        a, b = self, other
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
        a2 = a.reshape(1, -1) if a.ndim == 1 else a
        b2 = b.reshape(-1, 1) if b.ndim == 1 else b
        out = MatMul.apply(a2, b2)  # as numpy: the dim added to a 1-D operand is removed again
        return out.reshape(out.shape[:-2] + out.shape[-2:-1] * (a.ndim > 1) + out.shape[-1:] * (b.ndim > 1))

    dot = matmul

    # comparisons: no gradient, bool result
    def _cmp(self, other, fn):
        o = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(fn(self.data, o), self.device)

    __lt__ = lambda self, o: self._cmp(o, lambda a, b: a < b)  # noqa: E731
    __le__ = lambda self, o: self._cmp(o, lambda a, b: a <= b)  # noqa: E731
    __gt__ = lambda self, o: self._cmp(o, lambda a, b: a > b)  # noqa: E731
    __ge__ = lambda self, o: self._cmp(o, lambda a, b: a >= b)  # noqa: E731
    eq = lambda self, o: self._cmp(o, lambda a, b: a == b)  # noqa: E731
    ne = lambda self, o: self._cmp(o, lambda a, b: a != b)  # noqa: E731
    __eq__, __ne__ = eq, ne

    # ---- unary math ---------------------------------------------------------------------------------------------
    exp = lambda self: Exp.apply(self)  # noqa: E731
    log = lambda self: Log.apply(self)  # noqa: E731
    sqrt = lambda self: Sqrt.apply(self)  # noqa: E731
    abs = lambda self: Abs.apply(self)  # noqa: E731
    __abs__ = abs
    tanh = lambda self: Tanh.apply(self)  # noqa: E731
    sigmoid = lambda self: Sigmoid.apply(self)  # noqa: E731
    relu = lambda self: Relu.apply(self)  # noqa: E731
    sign = lambda self: Tensor._wrap(xp(self.device).sign(self.data), self.device)  # noqa: E731
    square = lambda self: self * self  # noqa: E731

    def clip(self, min=None, max=None):
        return Clip.apply(self, lo=min, hi=max)

    clamp = clip

    def maximum(self, other):
        other = self._const(other)
        return Tensor.where(self.data >= other.data, self, other)

    def minimum(self, other):
        other = self._const(other)
        return Tensor.where(self.data <= other.data, self, other)

    @staticmethod
    def where(condition, x, y):
        """Elementwise condition ? x : y; the condition is a constant (bool Tensor or array)."""
        c = condition.data if isinstance(condition, Tensor) else condition
        ref = x if isinstance(x, Tensor) else y
        x, y = ref._const(x), ref._const(y)
        return Where.apply(x, y, cond=xp(ref.device).asarray(c, dtype=bool))

    # ---- reductions ---------------------------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, axis=None):
        return Sum.apply(self, axis=_dims(dim if axis is None else axis, self.ndim), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, axis=None):
        axes = _dims(dim if axis is None else axis, self.ndim)
        n = self.data.size if axes is None else math.prod(self.shape[a] for a in axes)
        return self.sum(axes, keepdim) * (1.0 / n)

    def var(self, dim=None, keepdim=False, correction=None, unbiased=None, axis=None):
        axes = _dims(dim if axis is None else axis, self.ndim)
        n = self.data.size if axes is None else math.prod(self.shape[a] for a in axes)
        corr = (1 if unbiased is None or unbiased else 0) if correction is None else correction
        d = self - self.mean(axes, keepdim=True)
        ss, dof = (d * d).sum(axes, keepdim), max(n - corr, 0)
        return ss * (1.0 / dof) if dof else ss / 0.0  # no degrees of freedom left: nan (or inf), as torch

    def std(self, dim=None, keepdim=False, correction=None, unbiased=None):
        return self.var(dim, keepdim, correction, unbiased).sqrt()

    def max(self, dim=None, keepdim=False, axis=None):
        """Largest values (ties share the gradient evenly, as torch.amax)."""
        return Max.apply(self, axis=_dims(dim if axis is None else axis, self.ndim), keepdim=keepdim)

    def min(self, dim=None, keepdim=False, axis=None):
        return -((-self).max(dim, keepdim, axis))

    def argmax(self, dim=None, keepdim=False):
        x = xp(self.device).argmax(self.data, axis=dim)
        if keepdim and dim is not None:
            x = xp(self.device).expand_dims(x, dim)
        return Tensor._wrap(x, self.device)

    def argmin(self, dim=None, keepdim=False):
        return (-self).argmax(dim, keepdim)

    def sum_to(self, shape):
        """Sum broadcast dims away so the result has `shape` (the adjoint of expand)."""
        shape = tuple(shape)
        if self.shape == shape:
            return self
        lead = self.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and self.shape[lead + i] != 1)
        out = self.sum(axes, keepdim=True) if axes else self
        return out.reshape(shape)

    # ---- movement -----------------------------------------------------------------------------------------------
    def reshape(self, *shape):
        shape = _shape(shape)
        if -1 in shape:
            known = math.prod(s for s in shape if s != -1)
            shape = tuple(self.data.size // max(known, 1) if s == -1 else s for s in shape)
        if math.prod(shape) != self.data.size:
            raise ValueError(f"reshape: cannot view shape {self.shape} ({self.data.size} elements) as {shape}")
        return self if shape == self.shape else Reshape.apply(self, shape=shape)

    view = reshape

    def permute(self, *order):
        order = tuple(d % self.ndim for d in _shape(order))
        if sorted(order) != list(range(self.ndim)):
            raise ValueError(f"permute: {order} is not a permutation of the {self.ndim} dims of {self.shape}")
        return Permute.apply(self, order=order)

    def transpose(self, dim0=-2, dim1=-1):
        order = list(range(self.ndim))
        order[dim0], order[dim1] = order[dim1], order[dim0]
        return self.permute(*order)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s, e = start_dim % self.ndim, end_dim % self.ndim
        return self.reshape(self.shape[:s] + (math.prod(self.shape[s:e + 1]),) + self.shape[e + 1:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dim = dim % self.ndim
        return self if self.shape[dim] != 1 else self.reshape(self.shape[:dim] + self.shape[dim + 1:])

    def unsqueeze(self, dim):
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def expand(self, *shape):
        shape = _shape(shape)
        shape = tuple(self.shape[i - len(shape) + self.ndim] if s == -1 else s for i, s in enumerate(shape))
        if shape == self.shape:
            return self
        try:
            ok = np.broadcast_shapes(self.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"expand: shape {self.shape} cannot be expanded to {shape}")
        return Expand.apply(self, shape=shape)

    def contiguous(self):
        return self

    def pad(self, pad, value=0.0):
        """Constant padding. `pad` is numpy-style ((lo, hi) per dim) or torch-style (lo, hi) pairs from the last
        dim backwards, e.g. (1, 1, 2, 2) pads W by 1 and H by 2."""
        if all(isinstance(p, numbers.Integral) for p in pad):
            if len(pad) % 2 or len(pad) // 2 > self.ndim:
                raise ValueError(f"pad: {pad} must hold (lo, hi) pairs for at most {self.ndim} dims")
            pairs = [(0, 0)] * self.ndim
            for i in range(len(pad) // 2):
                pairs[self.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
        else:
            pairs = [tuple(p) for p in pad]
            if len(pairs) != self.ndim:
                raise ValueError(f"pad: {len(pairs)} (lo, hi) pairs for a tensor of shape {self.shape}")
        if any(lo < 0 or hi < 0 for lo, hi in pairs):
            raise ValueError(f"pad: negative padding {pad}")
        return Pad.apply(self, pads=tuple(pairs), value=value)

    def __getitem__(self, index):
        return Getitem.apply(self, index=index_of(index, self.device))

    @staticmethod
    def cat(tensors, dim=0):
        tensors = list(tensors)
        ref = tensors[0]
        dim = dim % ref.ndim
        for t in tensors[1:]:
            if t.ndim != ref.ndim or t.shape[:dim] + t.shape[dim + 1:] != ref.shape[:dim] + ref.shape[dim + 1:]:
                raise ValueError(f"cat: shapes {ref.shape} and {t.shape} differ outside dim {dim}")
        return Cat.apply(*tensors, dim=dim)

    @staticmethod
    def stack(tensors, dim=0):
        tensors = list(tensors)
        for t in tensors[1:]:
            if t.shape != tensors[0].shape:
                raise ValueError(f"stack: shapes {tensors[0].shape} and {t.shape} differ")
        return Tensor.cat([t.unsqueeze(dim) for t in tensors], dim=dim)

    # ---- a few functional conveniences --------------------------------------------------------------------------
    def softmax(self, dim=-1):
        from .functional import softmax
        return softmax(self, dim)

    def log_softmax(self, dim=-1):
        from .functional import log_softmax
        return log_softmax(self, dim)

    def logsumexp(self, dim=None, keepdim=False):
        from .functional import logsumexp
        return logsumexp(self, dim, keepdim)


def _like(make):
    """Tensor.X_like(t, ...) = Tensor.X(t.shape, ...) on t's device and in t's dtype unless given."""
    def like(t, *args, device=None, dtype=None, requires_grad=False):
        return make(t.shape, *args, device=device or t.device, dtype=dtype or t.dtype, requires_grad=requires_grad)
    return staticmethod(like)


Tensor.zeros_like, Tensor.ones_like, Tensor.full_like = _like(Tensor.zeros), _like(Tensor.ones), _like(Tensor.full)
Tensor.randn_like, Tensor.rand_like = _like(Tensor.randn), _like(Tensor.rand)
autograd.Tensor = Tensor
from .ops.elementwise import Add, Sub, Mul, Div, Pow, Neg, Exp, Log, Sqrt, Abs, Tanh, Sigmoid, Relu, Clip, Where, Cast, To  # noqa: E402,E501
from .ops.reduce import Sum, Max  # noqa: E402
from .ops.movement import Reshape, Permute, Expand, Pad, Getitem, Cat, index_of  # noqa: E402
from .ops.linalg import MatMul  # noqa: E402

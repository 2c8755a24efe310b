"""Tensor: an array (NumPy or CuPy) plus the graph node that made it, with PyTorch's names.

This module says what a Tensor *is*: its data, device and dtype, how it is made (constructors) and how it is
read (numpy(), item()). What a Tensor *does* (x + y, x.exp(), x.reshape(...), x.backward()) is one op of ops/
each; the ops build Tensors, so this module cannot import them: methods.py binds each method name to its op in
one table, once both exist.
"""
import numbers

import numpy as np

from . import backend
from .backend import xp

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_


def dims_of(dim, ndim):
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


def shape_arg(shape):
    """Shapes given as f(2, 3) or f((2, 3)) -> (2, 3)."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


class Tensor:
    __slots__ = ("data", "grad", "requires_grad", "device", "_ctx", "__weakref__")
    __array_priority__ = 1000  # numpy scalars/arrays on the left defer to our reflected operators

    def __init__(self, data, requires_grad=False, device=None, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray) or hasattr(data, "__cuda_array_interface__"):
            on_gpu = device is None and not isinstance(data, np.ndarray)  # a CuPy array stays where it is
            dev = backend.device_of(data) if on_gpu else backend.canonical_device(device)
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
    def wrap(arr, device, requires_grad=False):
        """A Tensor around a raw array already on `device`, without checks or copies (the ops' constructor)."""
        t = Tensor.__new__(Tensor)
        t.data, t.grad, t.requires_grad, t.device, t._ctx = arr, None, requires_grad, device, None
        return t

    # ---- properties -------------------------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)

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
        return Tensor.wrap(self.data, self.device)

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require gradients; got dtype {self.dtype}")
        self.requires_grad = requires_grad
        return self

    # ---- construction -------------------------------------------------------------------------------------------
    @staticmethod
    def _full(shape, fill, device, dtype, requires_grad):
        dev = backend.canonical_device(device)
        arr = xp(dev).full(shape_arg(shape), fill, dtype=np.float32 if dtype is None else dtype)
        return Tensor(arr, requires_grad=requires_grad, device=dev)

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
        dev = backend.canonical_device(device)
        arr = backend.rng(dev).standard_normal(shape_arg(shape), dtype=dtype or np.float32)
        return Tensor(arr, requires_grad=requires_grad, device=dev)

    @staticmethod
    def rand(*shape, device=None, dtype=None, requires_grad=False):
        dev = backend.canonical_device(device)
        arr = backend.rng(dev).random(shape_arg(shape), dtype=dtype or np.float32)
        return Tensor(arr, requires_grad=requires_grad, device=dev)

    @staticmethod
    def arange(start, end=None, step=1, device=None, dtype=None, requires_grad=False):
        if end is None:
            start, end = 0, start
        ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dt = dtype or (np.int64 if ints else np.float32)
        dev = backend.canonical_device(device)
        return Tensor(xp(dev).arange(start, end, step, dtype=dt), requires_grad=requires_grad, device=dev)

    @staticmethod
    def linspace(start, end, steps, device=None, dtype=None, requires_grad=False):
        dev = backend.canonical_device(device)
        return Tensor(xp(dev).linspace(start, end, steps, dtype=dtype or np.float32), requires_grad=requires_grad,
                      device=dev)

    @staticmethod
    def empty(*shape, device=None, dtype=None, requires_grad=False):
        """Zeros (an uninitialised tensor, as torch.empty, may hold anything)."""
        return Tensor._full(shape, 0, device, dtype, requires_grad)

    @staticmethod
    def randint(low, high=None, size=None, device=None, dtype=None, requires_grad=False):
        """Integers uniform in [low, high) (randint(high, size) as torch: low = 0), int64 by default."""
        if size is None and not isinstance(high, numbers.Integral):  # randint(high, size)
            low, high, size = 0, low, high
        elif high is None:
            low, high = 0, low
        dev = backend.canonical_device(device)
        arr = backend.rng(dev).integers(low, high, size=(size,) if isinstance(size, numbers.Integral) else tuple(size), dtype=np.int64)
        return Tensor(arr if dtype is None else arr.astype(dtype), requires_grad=requires_grad, device=dev)

    @staticmethod
    def eye(n, m=None, device=None, dtype=None, requires_grad=False):
        dev = backend.canonical_device(device)
        return Tensor(xp(dev).eye(n, m, dtype=dtype or np.float32), requires_grad=requires_grad, device=dev)

    @staticmethod
    def zeros_like(t, device=None, dtype=None, requires_grad=False):
        return Tensor.zeros(t.shape, device=device or t.device, dtype=dtype or t.dtype, requires_grad=requires_grad)

    @staticmethod
    def ones_like(t, device=None, dtype=None, requires_grad=False):
        return Tensor.ones(t.shape, device=device or t.device, dtype=dtype or t.dtype, requires_grad=requires_grad)

    @staticmethod
    def full_like(t, fill_value, device=None, dtype=None, requires_grad=False):
        return Tensor.full(t.shape, fill_value, device=device or t.device, dtype=dtype or t.dtype,
                           requires_grad=requires_grad)

    @staticmethod
    def randn_like(t, device=None, dtype=None, requires_grad=False):
        return Tensor.randn(t.shape, device=device or t.device, dtype=dtype or t.dtype, requires_grad=requires_grad)

    @staticmethod
    def rand_like(t, device=None, dtype=None, requires_grad=False):
        return Tensor.rand(t.shape, device=device or t.device, dtype=dtype or t.dtype, requires_grad=requires_grad)

    def const(self, x):
        """A Python scalar / array / Tensor as a Tensor on this tensor's device; a Python number takes this
        tensor's float dtype (so x * 0.5 stays float32)."""
        if isinstance(x, Tensor):
            return x
        if isinstance(x, numbers.Number) and self.data.dtype.kind == "f":
            return Tensor.wrap(xp(self.device).asarray(x, dtype=self.data.dtype), self.device)
        return Tensor(x, device=self.device)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of data, with torch.tensor's dtypes: Python ints -> int64, floats -> float32,
    bools -> bool; a NumPy/CuPy array or a Tensor keeps its dtype (a Tensor's data is copied and detached)."""
    if isinstance(data, Tensor):
        data = data.data.copy()
    elif isinstance(data, np.ndarray) or hasattr(data, "__cuda_array_interface__"):
        data = data.copy()
    elif dtype is None and not isinstance(data, np.generic):
        kind = np.asarray(data).dtype.kind
        dtype = {"i": np.int64, "u": np.int64, "b": np.bool_, "c": np.complex64}.get(kind, np.float32)
    return Tensor(data, requires_grad=requires_grad, device=device, dtype=dtype)


def from_numpy(array):
    """A tensor sharing the NumPy array's memory and dtype."""
    return Tensor.wrap(array, "cpu")

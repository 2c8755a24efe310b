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


def dim_of(dim, ndim):
    """One dim (negative allowed) as an index in [0, ndim), or IndexError naming the dim and the valid range, as
    torch. A 0-d tensor accepts dim 0 and -1 (torch does). Every op that takes a dim goes through here (or
    dims_of); an op that inserts a dim (unsqueeze, stack) passes ndim + 1."""
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, got {type(dim).__name__} {dim!r}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return int(dim) % n


def dims_of(dim, ndim):
    """Normalise a dim / tuple of dims (negative allowed) to a sorted tuple, or None for all. Out-of-range dims
    raise IndexError (dim_of), a repeated dim RuntimeError, as torch; on a 0-d tensor the dims 0 / -1 reduce
    nothing: ()."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    out = tuple(sorted(dim_of(d, ndim) for d in dims))
    if len(set(out)) != len(out):
        raise RuntimeError(f"dim {dim} names a dim more than once")
    return out if ndim else ()


def shape_arg(shape):
    """Shapes given as f(2, 3) or f((2, 3)) -> (2, 3)."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else tuple(shape)


DEFAULT_FLOAT = np.float32  # the dtype of Python floats, of lists, and of integer-only true division


def _category(dtype):
    return {"b": 0, "i": 1, "u": 1, "f": 2, "c": 3}[dtype.kind]


def promote_types(a, b):
    """torch.promote_types: within a category as NumPy (float32 + float64 -> float64, uint8 + int8 -> int16);
    across categories the higher category's dtype (int64 + float32 -> float32, where NumPy says float64)."""
    a, b = np.dtype(a), np.dtype(b)
    ca, cb = _category(a), _category(b)
    return np.promote_types(a, b) if ca == cb or min(ca, cb) == 2 else a if ca > cb else b


def result_type(*operands):
    """The dtype of an elementwise op on `operands` (Tensors, arrays, Python/NumPy scalars), by torch's rule
    rather than NumPy's; every elementwise op with more than one input goes through here.

    Each operand has a category, bool < integer < float, and a priority: dimensioned tensors beat 0-d tensors
    beat Python scalars (a Python float counts as the default dtype, float32; an int as int64). The operands of
    one priority promote among themselves (promote_types). Then a lower priority only matters when its category
    is higher, and it brings its category, never extra width: float32 + 0-d float64 tensor -> float32,
    float32 + int64 tensor -> float32, int64 tensor * 0.5 -> float32, int8 tensor + 1000 -> int8, bool tensor +
    1 -> int64, int tensor + 0-d float64 tensor -> float64, float64 + float32 (both dimensioned) -> float64."""
    tiers = [None, None, None]  # dimensioned tensors, 0-d tensors, Python scalars
    for x in operands:
        if isinstance(x, Tensor) or hasattr(x, "ndim") and not isinstance(x, np.generic):
            x = x.data if isinstance(x, Tensor) else x
            tier, dt = (0 if x.ndim else 1), x.dtype
        elif isinstance(x, (bool, np.bool_)):
            tier, dt = 2, np.dtype(np.bool_)
        elif isinstance(x, numbers.Integral):
            tier, dt = 2, np.dtype(np.int64)
        elif isinstance(x, numbers.Real):
            tier, dt = 2, np.dtype(DEFAULT_FLOAT)
        elif isinstance(x, numbers.Complex):
            tier, dt = 2, np.dtype(np.complex64)
        else:
            raise TypeError(f"unsupported operand type {type(x).__name__}")
        tiers[tier] = dt if tiers[tier] is None else promote_types(tiers[tier], dt)
    out = None
    for dt in reversed(tiers):  # combine from the lowest priority up: the higher one wins unless outranked
        if dt is not None:
            out = dt if out is None or _category(dt) >= _category(out) else np.promote_types(dt, out) \
                if _category(dt) == 2 else out
    return out


class Tensor:
    """An n-dimensional array (NumPy on the CPU, CuPy on a GPU) that records the op that made it, so that
    backward() / tinygrad_lr.grad can differentiate through it, to any order (the backward pass is made of Tensor
    ops too). PyTorch's names and semantics: `Tensor(data, requires_grad=False, device=None, dtype=None)`.

    Args:
        data: a Python scalar, a (nested) list, a NumPy or CuPy array, or a Tensor (its array is taken, without
            its graph). Python floats and lists become float32 (bools bool); a NumPy array keeps its dtype
            (float64 stays float64, as gradient checks need); a CuPy array stays on its GPU unless `device` says
            otherwise.
        requires_grad: record the ops on this tensor so gradients flow to it (floating-point dtypes only); a
            tensor made by the user is a leaf and gets .grad from backward().
        device: "cpu", "cuda" or "cuda:N"; None is the default device (tinygrad_lr.set_default_device).
        dtype: the dtype to convert the data to (tl.float32, tl.float64, a NumPy dtype, ...); None as above.

    Attributes:
        data: the raw array (NumPy on the CPU, CuPy on a GPU).
        grad: the accumulated gradient (a Tensor) or None; backward() adds to it until it is reset.
        requires_grad: whether ops on this tensor are recorded for differentiation.
        device: "cpu" or "cuda:N".

    The ops (x + y, x.exp(), x.reshape(...), ...) are bound as methods by tinygrad_lr.methods; each states its
    derivative in its docstring."""
    __slots__ = {"data": "The raw array: a NumPy ndarray on the CPU, a CuPy ndarray on a GPU.",
                 "grad": "The accumulated gradient (a Tensor), or None: backward() adds to it until something (an "
                         "optimizer's zero_grad, a module's) resets it, as in PyTorch.",
                 "requires_grad": "Whether ops on this tensor are recorded for differentiation (a bool).",
                 "device": 'The device the data lives on, in canonical form: "cpu" or "cuda:N".',
                 "_ctx": "The Function that made this tensor (None for a leaf).",
                 "__weakref__": None}
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
        """A Tensor around a raw array `arr` already on `device`, without checks or copies (the ops'
        constructor); requires_grad as in Tensor()."""
        t = Tensor.__new__(Tensor)
        t.data, t.grad, t.requires_grad, t.device, t._ctx = arr, None, requires_grad, device, None
        return t

    # ---- properties -------------------------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape, doc="The shape, a tuple of ints (as the array's).")
    ndim = property(lambda self: self.data.ndim, doc="The number of dims.")
    dtype = property(lambda self: self.data.dtype, doc="The NumPy dtype of the data (float32, float64, int64, ...).")
    is_leaf = property(lambda self: self._ctx is None,
                       doc="True when no recorded op made this tensor (made by the user, detached, or made where no "
                           "graph was recorded); only leaves get .grad from backward().")
    grad_fn = property(lambda self: self._ctx,
                       doc="The op (an autograd.Function) that made this tensor, or None for a leaf.")

    def size(self, dim=None):
        """The shape (a tuple), or the size of one dim when dim is given (negative counts from the end)."""
        if dim is not None and not self.ndim:
            raise IndexError(f"dimension specified as {dim} but tensor has no dimensions")
        return self.shape if dim is None else self.shape[dim_of(dim, self.ndim)]

    def numel(self):
        """The number of elements."""
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
        """The data as a NumPy array (copied to the host from a GPU; on the CPU, the array itself)."""
        return backend.to_host(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.reshape(()).item()

    def tolist(self):
        """The data as (nested) Python lists of numbers."""
        return self.numpy().tolist()

    def detach(self):
        """A new leaf tensor sharing this one's data, outside the graph (no gradient flows through it)."""
        return Tensor.wrap(self.data, self.device)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad in place (floating-point tensors only) and return the tensor."""
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
        """A tensor of zeros of the given shape (zeros(2, 3) or zeros((2, 3))); device, dtype (default float32)
        and requires_grad as in Tensor()."""
        return Tensor._full(shape, 0, device, dtype, requires_grad)

    @staticmethod
    def ones(*shape, device=None, dtype=None, requires_grad=False):
        """A tensor of ones of the given shape (ones(2, 3) or ones((2, 3))); device, dtype (default float32) and
        requires_grad as in Tensor()."""
        return Tensor._full(shape, 1, device, dtype, requires_grad)

    @staticmethod
    def full(shape, fill_value, device=None, dtype=None, requires_grad=False):
        """A tensor of the given shape (a tuple) filled with fill_value; device, dtype (default float32) and
        requires_grad as in Tensor()."""
        return Tensor._full((shape,), fill_value, device, dtype, requires_grad)

    @staticmethod
    def randn(*shape, device=None, dtype=None, requires_grad=False):
        """Standard normal samples of the given shape, from the device's generator (tinygrad_lr.manual_seed);
        device, dtype (default float32) and requires_grad as in Tensor()."""
        dev = backend.canonical_device(device)
        arr = backend.rng(dev).standard_normal(shape_arg(shape), dtype=dtype or np.float32)
        return Tensor(arr, requires_grad=requires_grad, device=dev)

    @staticmethod
    def rand(*shape, device=None, dtype=None, requires_grad=False):
        """Samples uniform in [0, 1) of the given shape, from the device's generator (tinygrad_lr.manual_seed);
        device, dtype (default float32) and requires_grad as in Tensor()."""
        dev = backend.canonical_device(device)
        arr = backend.rng(dev).random(shape_arg(shape), dtype=dtype or np.float32)
        return Tensor(arr, requires_grad=requires_grad, device=dev)

    @staticmethod
    def arange(start, end=None, step=1, device=None, dtype=None, requires_grad=False):
        """start, start + step, ... below end (arange(n): 0 .. n - 1), as torch.arange: int64 when start, end and
        step are ints, else float32, unless dtype is given; device and requires_grad as in Tensor()."""
        if end is None:
            start, end = 0, start
        ints = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dt = dtype or (np.int64 if ints else np.float32)
        dev = backend.canonical_device(device)
        return Tensor(xp(dev).arange(start, end, step, dtype=dt), requires_grad=requires_grad, device=dev)

    @staticmethod
    def linspace(start, end, steps, device=None, dtype=None, requires_grad=False):
        """`steps` evenly spaced values from start to end inclusive; device, dtype (default float32) and
        requires_grad as in Tensor()."""
        dev = backend.canonical_device(device)
        return Tensor(xp(dev).linspace(start, end, steps, dtype=dtype or np.float32), requires_grad=requires_grad,
                      device=dev)

    @staticmethod
    def empty(*shape, device=None, dtype=None, requires_grad=False):
        """Zeros of the given shape (an uninitialised tensor, as torch.empty, may hold anything); device, dtype
        (default float32) and requires_grad as in Tensor()."""
        return Tensor._full(shape, 0, device, dtype, requires_grad)

    @staticmethod
    def randint(low, high=None, size=None, device=None, dtype=None, requires_grad=False):
        """Integers uniform in [low, high) of shape `size` (an int or a tuple; randint(high, size) as torch: low =
        0), int64 unless dtype is given; device and requires_grad as in Tensor()."""
        if size is None and not isinstance(high, numbers.Integral):  # randint(high, size)
            low, high, size = 0, low, high
        elif high is None:
            low, high = 0, low
        dev = backend.canonical_device(device)
        arr = backend.rng(dev).integers(low, high, size=(size,) if isinstance(size, numbers.Integral) else tuple(size), dtype=np.int64)
        return Tensor(arr if dtype is None else arr.astype(dtype), requires_grad=requires_grad, device=dev)

    @staticmethod
    def eye(n, m=None, device=None, dtype=None, requires_grad=False):
        """The n × m identity matrix (m = n by default); device, dtype (default float32) and requires_grad as in
        Tensor()."""
        dev = backend.canonical_device(device)
        return Tensor(xp(dev).eye(n, m, dtype=dtype or np.float32), requires_grad=requires_grad, device=dev)

    @staticmethod
    def zeros_like(t, device=None, dtype=None, requires_grad=False):
        """Zeros with the shape of the tensor t, on t's device and in t's dtype unless device / dtype say
        otherwise; requires_grad as in Tensor()."""
        return Tensor.zeros(t.shape, device=device or t.device, dtype=dtype or t.dtype, requires_grad=requires_grad)

    @staticmethod
    def ones_like(t, device=None, dtype=None, requires_grad=False):
        """Ones with the shape of the tensor t, on t's device and in t's dtype unless device / dtype say
        otherwise; requires_grad as in Tensor()."""
        return Tensor.ones(t.shape, device=device or t.device, dtype=dtype or t.dtype, requires_grad=requires_grad)

    @staticmethod
    def full_like(t, fill_value, device=None, dtype=None, requires_grad=False):
        """fill_value in the shape of the tensor t, on t's device and in t's dtype unless device / dtype say
        otherwise; requires_grad as in Tensor()."""
        return Tensor.full(t.shape, fill_value, device=device or t.device, dtype=dtype or t.dtype,
                           requires_grad=requires_grad)

    @staticmethod
    def randn_like(t, device=None, dtype=None, requires_grad=False):
        """Standard normal samples with the shape of the tensor t, on t's device and in t's dtype unless device / dtype
        say otherwise; requires_grad as in Tensor()."""
        return Tensor.randn(t.shape, device=device or t.device, dtype=dtype or t.dtype, requires_grad=requires_grad)

    @staticmethod
    def rand_like(t, device=None, dtype=None, requires_grad=False):
        """Samples uniform in [0, 1) with the shape of the tensor t, on t's device and in t's dtype unless device /
        dtype say otherwise; requires_grad as in Tensor()."""
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
    bools -> bool; a NumPy/CuPy array or a Tensor keeps its dtype (a Tensor's data is copied and detached).
    dtype, device and requires_grad as in Tensor()."""
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

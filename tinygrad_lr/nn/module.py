"""Module: parameters, buffers and submodules found by attribute, state_dict with torch's names."""
from collections import OrderedDict, namedtuple

import numpy as np

from ..backend import canonical_device, to_device
from ..tensor import Tensor

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A Tensor that a Module registers as a trainable parameter. data: a Tensor (its array is taken, dtype
    kept), an array (dtype kept) or a list / scalar (float32); requires_grad: True by default."""
    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad,
                         dtype=None if isinstance(data, Tensor) or hasattr(data, "dtype") else np.float32)


class Module:
    """Base class. Parameters (Parameter attributes), submodules (Module attributes) and buffers
    (register_buffer) are discovered in attribute order, so names follow torch: "layer1.0.conv1.weight".
    A subclass calls super().__init__() first, assigns its layers and parameters, and defines forward; calling
    the module calls forward."""
    training = True

    def __init__(self):
        object.__setattr__(self, "_buffers", [])
        self.training = True

    def forward(self, *args, **kwargs):
        """The computation; `module(*args, **kwargs)` calls it. Subclasses define it."""
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def register_buffer(self, name, tensor):
        """Keep `tensor` (a Tensor, or None) as the attribute `name`: a buffer, not a parameter (no gradient, not
        optimized) that state_dict saves and to() moves, such as BatchNorm's running statistics."""
        if "_buffers" not in self.__dict__:
            object.__setattr__(self, "_buffers", [])
        self._buffers.append(name)
        setattr(self, name, tensor)

    # ---- traversal -----------------------------------------------------------------------------------------
    def named_children(self):
        """(name, module) for each direct submodule, in attribute order."""
        for k, v in vars(self).items():
            if isinstance(v, Module):
                yield k, v

    def children(self):
        """The direct submodules, in attribute order."""
        return (m for _, m in self.named_children())

    def named_modules(self, prefix="", remove_duplicate=True, _memo=None):
        """(name, module) for self and every submodule, a pre-order walk; names are dotted paths under prefix.
        With remove_duplicate, a module reachable twice (shared weights) is yielded once, as in torch."""
        memo = set() if _memo is None else _memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for k, m in self.named_children():
            yield from m.named_modules(f"{prefix}.{k}" if prefix else k, remove_duplicate, memo)

    def modules(self):
        """self and every submodule, pre-order, each once."""
        return (m for _, m in self.named_modules())

    def _own(self, buffers):
        if buffers:
            return [(k, getattr(self, k)) for k in self.__dict__.get("_buffers", []) if getattr(self, k) is not None]
        return [(k, v) for k, v in vars(self).items() if isinstance(v, Parameter)]

    def _named(self, prefix, buffers):
        seen = set()  # a tied tensor is one parameter (and an optimizer must not step it twice)
        for name, m in self.named_modules(prefix):
            for k, v in m._own(buffers):
                if id(v) not in seen:
                    seen.add(id(v))
                    yield (f"{name}.{k}" if name else k), v

    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) for every parameter of self and its submodules (a tied one once); names
        start with prefix."""
        return self._named(prefix, buffers=False)

    def parameters(self):
        """The list of every Parameter of self and its submodules (a tied one once): what an optimizer takes."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix=""):
        """(dotted name, Tensor) for every buffer (register_buffer) of self and its submodules; names start with
        prefix."""
        return self._named(prefix, buffers=True)

    def buffers(self):
        """The list of every buffer of self and its submodules."""
        return [b for _, b in self.named_buffers()]

    def apply(self, fn):
        """fn(m) for every submodule, then self (torch's order); e.g. a custom initialisation."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # ---- modes, grads, devices -----------------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (mode=True) or evaluation mode (False) on self and every submodule (Dropout and
        BatchNorm read it); returns self."""
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        """train(False): evaluation mode; returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Reset the .grad of every parameter to None (set_to_none is accepted for torch's signature; the
        gradients are always set to None)."""
        for p in self.parameters():
            p.grad = None

    def to(self, device=None, dtype=None):
        """Move the parameters and buffers to device (and/or cast the floating-point ones to dtype) in place,
        dropping their .grad; returns self."""
        for t in self.parameters() + self.buffers():
            if device is not None:
                dev = canonical_device(device)
                t.data, t.device = to_device(t.data, dev), dev
            if dtype is not None and t.dtype.kind == "f":
                t.data = t.data.astype(dtype)
            t.grad = None
        return self

    def double(self):
        """Cast the floating-point parameters and buffers to float64 in place; returns self."""
        return self.to(dtype=np.float64)

    def float(self):
        """Cast the floating-point parameters and buffers to float32 in place; returns self."""
        return self.to(dtype=np.float32)

    # ---- state ---------------------------------------------------------------------------------------------
    def _state(self):
        """Every parameter and buffer under every name it has (torch's state_dict order: each module's parameters,
        then its buffers, pre-order); tied tensors appear under each name, as in torch."""
        for name, m in self.named_modules(remove_duplicate=False):
            for k, v in m._own(False) + m._own(True):
                yield (f"{name}.{k}" if name else k), v

    def state_dict(self):
        """name -> NumPy array (a copy) for every parameter and buffer."""
        return OrderedDict((k, v.numpy().copy()) for k, v in self._state())

    def load_state_dict(self, state, strict=True):
        """Copy arrays from `state` (name -> array or Tensor, as state_dict gives) into the parameters and buffers
        of the same name. A shape mismatch is always an error; with strict, so are missing and unexpected keys.
        Returns (missing_keys, unexpected_keys) as torch."""
        own = OrderedDict(self._state())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        shape = lambda v: tuple(v.shape) if hasattr(v, "shape") else np.shape(v)  # noqa: E731
        wrong = [f"{k}: expected shape {own[k].shape}, got {shape(state[k])}" for k in own
                 if k in state and shape(state[k]) != own[k].shape]
        errors = []
        if strict and missing:
            errors.append(f"missing keys {missing}")
        if strict and unexpected:
            errors.append(f"unexpected keys {unexpected}")
        if wrong:
            errors.append("shape mismatch for " + "; ".join(wrong))
        if errors:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: " + "; ".join(errors))
        for k, t in own.items():
            if k in state:
                v = state[k]
                v = v.numpy() if isinstance(v, Tensor) else np.asarray(v)
                t.data = to_device(v.astype(t.dtype, copy=True), t.device)
        return _IncompatibleKeys(missing, unexpected)

    # ---- repr ----------------------------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside the parentheses of this module's repr (its settings); subclasses override it."""
        return ""

    def __repr__(self):
        kids = list(self.named_children())
        if not kids:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({k}): " + repr(m).replace("\n", "\n  ") for k, m in kids]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + "\n" + "\n".join(lines) + "\n)"


class ModuleList(Module):
    """Submodules in a list (named "0", "1", ...), as torch.nn.ModuleList: indexable, iterable, append.
    modules: an iterable of Modules to start with."""

    def __init__(self, modules=()):
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def __len__(self):
        return sum(1 for _ in self.named_children())

    def __getitem__(self, i):
        kids = list(self.children())
        return ModuleList(kids[i]) if isinstance(i, slice) else kids[i]

    def __iter__(self):
        return iter(list(self.children()))

    def append(self, m):
        setattr(self, str(len(self)), m)
        return self


class Sequential(ModuleList):
    """Modules applied in order, `Sequential(m1, m2, ...)`: forward(x) is ...m2(m1(x)); indexable like a list
    (a slice is a Sequential again)."""

    def __init__(self, *modules):
        super().__init__(modules)

    def __getitem__(self, i):
        kids = list(self.children())
        return Sequential(*kids[i]) if isinstance(i, slice) else kids[i]

    def forward(self, x):
        for m in self.children():
            x = m(x)
        return x


class ModuleDict(Module):
    """Submodules by name (insertion order), as torch.nn.ModuleDict. A name may not shadow a Module attribute
    (for example "forward" or "train"), since submodules are found among the attributes here. modules: a
    mapping or an iterable of (name, module) pairs to start with."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _key(self, key):
        if not isinstance(key, str) or "." in key or not key or hasattr(type(self), key) or key in ("training",
                                                                                                    "_buffers"):
            raise KeyError(f"ModuleDict: {key!r} cannot be a module name (a string without '.', not an attribute "
                           "of Module)")
        return key

    def __getitem__(self, key):
        if key not in self:
            raise KeyError(key)
        return getattr(self, key)

    def __setitem__(self, key, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: {key!r} is a {type(module).__name__}, not a Module")
        setattr(self, self._key(key), module)

    def __delitem__(self, key):
        self[key]
        delattr(self, key)

    def __contains__(self, key):
        return isinstance(key, str) and isinstance(vars(self).get(key), Module)

    def __len__(self):
        return sum(1 for _ in self.named_children())

    def __iter__(self):
        return iter(self.keys())

    def keys(self):
        return [k for k, _ in self.named_children()]

    def values(self):
        return [m for _, m in self.named_children()]

    def items(self):
        return list(self.named_children())

    def update(self, modules):
        for k, m in (modules.items() if hasattr(modules, "items") else modules):
            self[k] = m

    def pop(self, key):
        m = self[key]
        del self[key]
        return m


class ParameterList(Module):
    """Parameters in a list (named "0", "1", ...), as torch.nn.ParameterList; a Tensor or array appended becomes a
    Parameter. values: an iterable of them to start with."""

    def __init__(self, values=None):
        super().__init__()
        for v in values or ():
            self.append(v)

    def _params(self):
        return [v for v in vars(self).values() if isinstance(v, Parameter)]

    def __len__(self):
        return len(self._params())

    def __getitem__(self, i):
        return self._params()[i]

    def __setitem__(self, i, value):
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"ParameterList index {i} out of range for length {n}")
        setattr(self, str(i % n), value if isinstance(value, Parameter) else Parameter(value))

    def __iter__(self):
        return iter(self._params())

    def append(self, value):
        setattr(self, str(len(self)), value if isinstance(value, Parameter) else Parameter(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def extra_repr(self):
        return ", ".join(f"({i}): Parameter of shape {tuple(p.shape)}" for i, p in enumerate(self))

"""Tensor's methods, in one table: method name -> the op (or the small function in front of it) that does it.

This is the one place where Tensor and the ops are wired together. tensor.py defines what a Tensor is and
imports no op; every op module imports Tensor to build its results; this module, imported once by the package's
__init__ after both exist, binds the names. To add an op: write its Function class (and, when the method needs
argument handling, a function beside it) in ops/, then add its name here.
"""
import inspect
import operator

from . import autograd, functional
from .ops import elementwise as E, linalg as L, movement as M, reduce as R
from .tensor import Tensor, from_numpy, tensor

METHODS = {
    # arithmetic, with broadcasting and Python scalars on either side
    "__add__": E.binary(E.Add), "__radd__": E.binary(E.Add, reflected=True),
    "__sub__": E.binary(E.Sub), "__rsub__": E.binary(E.Sub, reflected=True),
    "__mul__": E.binary(E.Mul), "__rmul__": E.binary(E.Mul, reflected=True),
    "__truediv__": E.binary(E.Div), "__rtruediv__": E.binary(E.Div, reflected=True),
    "__pow__": E.binary(E.Pow), "__rpow__": E.binary(E.Pow, reflected=True),
    "add": E.binary(E.Add), "sub": E.binary(E.Sub), "mul": E.binary(E.Mul), "div": E.binary(E.Div),
    "pow": E.binary(E.Pow),
    "__neg__": E.unary(E.Neg),
    "__matmul__": L.matmul, "__rmatmul__": L.rmatmul, "matmul": L.matmul, "dot": L.matmul,
    # comparisons: no gradient, a bool result
    "__lt__": E.comparison(operator.lt), "__le__": E.comparison(operator.le),
    "__gt__": E.comparison(operator.gt), "__ge__": E.comparison(operator.ge),
    "__eq__": E.comparison(operator.eq), "__ne__": E.comparison(operator.ne),
    "eq": E.comparison(operator.eq), "ne": E.comparison(operator.ne),
    "lt": E.comparison(operator.lt), "le": E.comparison(operator.le),
    "gt": E.comparison(operator.gt), "ge": E.comparison(operator.ge),
    # unary math
    "exp": E.unary(E.Exp), "log": E.unary(E.Log), "sqrt": E.unary(E.Sqrt), "abs": E.unary(E.Abs),
    "__abs__": E.unary(E.Abs), "tanh": E.unary(E.Tanh), "sigmoid": E.unary(E.Sigmoid), "relu": E.unary(E.Relu),
    "sign": E.sign, "square": E.square, "clip": E.clip, "clamp": E.clip,
    "maximum": E.maximum, "minimum": E.minimum, "where": staticmethod(E.where),
    "neg": E.unary(E.Neg), "negative": E.unary(E.Neg), "reciprocal": E.reciprocal, "rsqrt": E.rsqrt,
    "log1p": E.unary(E.Log1p), "expm1": E.unary(E.Expm1), "sin": E.unary(E.Sin), "cos": E.unary(E.Cos),
    "erf": E.unary(E.Erf), "floor": E.rounding("floor"), "ceil": E.rounding("ceil"), "trunc": E.rounding("trunc"),
    "round": E.round,
    # activations (torch.nn.functional's, as methods)
    "leaky_relu": E.leaky_relu, "softplus": E.softplus, "gelu": E.gelu, "elu": E.elu, "silu": E.silu,
    # dtype and device
    "cast": E.cast, "astype": E.cast, "float": E.float32, "double": E.float64, "long": E.int64,
    "to": E.to, "cpu": E.cpu, "cuda": E.cuda,
    # reductions
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "max": R.max, "min": R.min,
    "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin, "sum_to": R.sum_to,
    "prod": R.prod, "cumsum": R.cumsum, "any": R.any, "all": R.all, "norm": R.norm,
    # movement
    "reshape": M.reshape, "view": M.reshape, "permute": M.permute, "transpose": M.transpose,
    "T": property(M.T), "mT": property(M.mT), "flatten": M.flatten, "squeeze": M.squeeze,
    "unsqueeze": M.unsqueeze, "expand": M.expand, "contiguous": M.contiguous, "pad": M.pad,
    "__getitem__": M.getitem, "cat": staticmethod(M.cat), "stack": staticmethod(M.stack),
    "flip": M.flip, "roll": M.roll, "repeat": M.repeat, "tile": M.tile, "split": M.split, "chunk": M.chunk,
    "unbind": M.unbind, "movedim": M.movedim, "moveaxis": M.movedim, "swapaxes": M.swapaxes,
    "swapdims": M.swapaxes, "t": M.t, "narrow": M.narrow, "clone": M.clone, "expand_as": M.expand_as,
    "view_as": M.reshape_as, "reshape_as": M.reshape_as,
    # indexing
    "gather": M.gather, "scatter_add": M.scatter_add_along, "index_select": M.index_select,
    "masked_fill": M.masked_fill, "topk": M.topk, "sort": M.sort, "argsort": M.argsort,
    # linear algebra
    "diag": L.diag, "trace": L.trace, "triu": L.triu, "tril": L.tril, "outer": L.outer, "ger": L.outer,
    # a few functional conveniences
    "softmax": functional.softmax, "log_softmax": functional.log_softmax, "logsumexp": functional.logsumexp,
    # autograd
    "backward": autograd.backward,
}

for _name, _fn in METHODS.items():
    setattr(Tensor, _name, _fn)


# ---- the module-level functions (tl.exp(x), tl.cat([...]), tl.zeros(2, 3), ... as torch.*) ----------------------
def _function(name):
    """torch.<name>(input, *args, **kwargs) as input.<name>(*args, **kwargs)."""
    def fn(input, *args, **kwargs):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be a Tensor, got {type(input).__name__}")
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    method = inspect.cleandoc(getattr(Tensor, name).__doc__ or "")
    fn.__doc__ = f"`{name}(input, ...)` is `input.{name}(...)` (as torch.{name}); input: a Tensor." + \
        (f"\n\n{method}" if method else "")
    return fn


def is_tensor(obj):
    """True when obj is a Tensor (torch.is_tensor)."""
    return isinstance(obj, Tensor)


_AS_METHOD = """exp log sqrt abs tanh sigmoid relu neg negative reciprocal rsqrt log1p expm1 sin cos erf floor ceil trunc
    round sign square clamp clip maximum minimum add sub mul div pow matmul dot lt le gt ge eq ne
    sum mean var std prod cumsum any all norm max min argmax argmin logsumexp softmax log_softmax
    reshape flatten squeeze unsqueeze transpose permute flip roll tile split chunk unbind movedim moveaxis swapaxes
    swapdims t narrow gather scatter_add index_select masked_fill topk sort argsort diag trace triu tril outer ger
    clone numel""".split()

FUNCTIONS = {name: _function(name) for name in _AS_METHOD}
FUNCTIONS.update({
    "tensor": tensor, "as_tensor": tensor, "from_numpy": from_numpy, "is_tensor": is_tensor,
    "zeros": Tensor.zeros, "ones": Tensor.ones, "full": Tensor.full, "empty": Tensor.empty, "rand": Tensor.rand,
    "randn": Tensor.randn, "randint": Tensor.randint, "arange": Tensor.arange, "linspace": Tensor.linspace,
    "eye": Tensor.eye, "zeros_like": Tensor.zeros_like, "ones_like": Tensor.ones_like, "full_like": Tensor.full_like,
    "rand_like": Tensor.rand_like, "randn_like": Tensor.randn_like, "empty_like": Tensor.zeros_like,
    "cat": M.cat, "concat": M.cat, "concatenate": M.cat, "stack": M.stack, "where": E.where, "einsum": L.einsum,
    "mm": L.matmul, "bmm": L.matmul,
})

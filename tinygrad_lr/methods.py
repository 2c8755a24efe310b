"""Tensor's methods, in one table: method name -> the op (or the small function in front of it) that does it.

This is the one place where Tensor and the ops are wired together. tensor.py defines what a Tensor is and
imports no op; every op module imports Tensor to build its results; this module, imported once by the package's
__init__ after both exist, binds the names. To add an op: write its Function class (and, when the method needs
argument handling, a function beside it) in ops/, then add its name here.
"""
import operator

from . import autograd, functional
from .ops import elementwise as E, linalg as L, movement as M, reduce as R
from .tensor import Tensor

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
    # unary math
    "exp": E.unary(E.Exp), "log": E.unary(E.Log), "sqrt": E.unary(E.Sqrt), "abs": E.unary(E.Abs),
    "__abs__": E.unary(E.Abs), "tanh": E.unary(E.Tanh), "sigmoid": E.unary(E.Sigmoid), "relu": E.unary(E.Relu),
    "sign": E.sign, "square": E.square, "clip": E.clip, "clamp": E.clip,
    "maximum": E.maximum, "minimum": E.minimum, "where": staticmethod(E.where),
    # dtype and device
    "cast": E.cast, "astype": E.cast, "float": E.float32, "double": E.float64, "long": E.int64,
    "to": E.to, "cpu": E.cpu, "cuda": E.cuda,
    # reductions
    "sum": R.sum, "mean": R.mean, "var": R.var, "std": R.std, "max": R.max, "min": R.min,
    "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin, "sum_to": R.sum_to,
    # movement
    "reshape": M.reshape, "view": M.reshape, "permute": M.permute, "transpose": M.transpose,
    "T": property(M.T), "mT": property(M.mT), "flatten": M.flatten, "squeeze": M.squeeze,
    "unsqueeze": M.unsqueeze, "expand": M.expand, "contiguous": M.contiguous, "pad": M.pad,
    "__getitem__": M.getitem, "cat": staticmethod(M.cat), "stack": staticmethod(M.stack),
    # a few functional conveniences
    "softmax": functional.softmax, "log_softmax": functional.log_softmax, "logsumexp": functional.logsumexp,
    # autograd
    "backward": autograd.backward,
}

for _name, _fn in METHODS.items():
    setattr(Tensor, _name, _fn)

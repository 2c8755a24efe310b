"""tinygrad_lr: a small reverse-mode autodiff framework whose backward pass is differentiable again."""
from . import backend
from .autograd import enable_grad, grad, hvp, is_grad_enabled, jvp, no_grad
from .backend import cuda_available, get_default_device, manual_seed, set_default_device
from .tensor import Tensor, bool_, float16, float32, float64, int32, int64
# importing methods binds Tensor's methods to the ops (see methods.py); FUNCTIONS: torch's module-level names
from .methods import FUNCTIONS as _FUNCTIONS
from . import functional, nn, optim, hyper, viz  # viz: pictures of the graph (viz.draw)
from ._checkout import register as _register_checkout

_register_checkout()  # in a source checkout: its models/, datasets/, examples/ as tinygrad_lr.models etc.

globals().update(_FUNCTIONS)  # tl.exp, tl.cat, tl.zeros, tl.tensor, ... as torch.* (methods.py: FUNCTIONS)
float, double, half, long, int, bool = float32, float64, float16, int64, int32, bool_  # noqa: A001 (torch.float ...)

__version__ = "0.1.0"
__all__ = ["Tensor", "grad", "hvp", "jvp", "no_grad", "enable_grad", "is_grad_enabled", "manual_seed", "cuda_available",
           "set_default_device", "get_default_device",
           "functional", "nn", "optim", "hyper", "viz", "backend",
           "float16", "float32", "float64", "int32", "int64", "bool_",
           "float", "double", "half", "long", "int", "bool"]
__all__ += sorted(_FUNCTIONS)

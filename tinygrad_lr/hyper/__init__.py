"""Learning-rate adaptation, each wrapping any optimizer of tinygrad_lr.optim: `loss = h.step(closure)`.

Hypergradient / FirstOrder / RTHPO share one tangent mechanism (tangent.py); FischerPlus and LossGrad are
their authors' own rules (fischer.py, lossgrad.py); unroll.py differentiates a whole run of Φ for checking."""
from .base import LRMethod
from .fischer import FischerPlus
from .lossgrad import LossGrad
from .tangent import FirstOrder, Hypergradient, RTHPO
from .unroll import unrolled_run

__all__ = ["LRMethod", "Hypergradient", "FirstOrder", "RTHPO", "FischerPlus", "LossGrad", "unrolled_run"]

"""Optimizers as differentiable update maps (w', s') = Φ(w, g, s, η), and learning-rate schedules."""
from . import lr_scheduler
from .adaptive import Adadelta, Adagrad, Adam, AdamW, RMSprop
from .lrfree import DAdaptAdam, DAdaptSGD, DoG, DoWG, LDoG, Prodigy
from .newton import DiagonalNewton
from .optimizer import Optimizer
from .parameter_free import COCOB, SPS, AdamWScheduleFree, L4Adam, L4Mom, Mechanic, SGDScheduleFree, Sps, WNGrad
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "DiagonalNewton", "lr_scheduler",
           "Prodigy", "DAdaptSGD", "DAdaptAdam", "DoG", "LDoG", "DoWG",
           "SGDScheduleFree", "AdamWScheduleFree", "Mechanic", "COCOB", "SPS", "Sps", "WNGrad", "L4Adam", "L4Mom"]

"""Optimizers as differentiable update maps (w', s') = Φ(w, g, s, η), and learning-rate schedules."""
from . import lr_scheduler
from .adaptive import Adadelta, Adagrad, Adam, AdamW, RMSprop
from .lrfree import DAdaptAdam, DAdaptSGD, DoG, DoWG, LDoG, Prodigy
from .newton import DiagonalNewton
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "DiagonalNewton",
           "Prodigy", "DAdaptSGD", "DAdaptAdam", "DoG", "LDoG", "DoWG", "lr_scheduler"]

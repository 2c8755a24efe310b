"""Neural-network modules (torch.nn names, parameter names and layouts)."""
from . import init
from .layers import (AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, Linear, MaxPool2d,
                     ReLU, Sigmoid, Tanh)
from .module import Module, ModuleList, Parameter, Sequential
from .reeval import frozen_running_stats, reevaluate, rng_snapshot, running_stats_frozen
from .rnn import LSTM

__all__ = ["Module", "ModuleList", "Parameter", "Sequential", "Linear", "Conv2d", "MaxPool2d", "AvgPool2d",
           "BatchNorm1d", "BatchNorm2d", "Dropout", "ReLU", "Tanh", "Sigmoid", "Flatten", "Embedding", "LSTM", "init",
           "frozen_running_stats", "reevaluate", "rng_snapshot", "running_stats_frozen"]

"""Neural-network modules (torch.nn names, parameter names and layouts)."""
from . import init
from .layers import (ELU, GELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, BCELoss, BCEWithLogitsLoss,
                     Conv1d, Conv2d, ConvTranspose2d, CrossEntropyLoss, Dropout, Embedding, Flatten, GroupNorm,
                     HuberLoss, Identity, KLDivLoss, L1Loss, LayerNorm, LeakyReLU, Linear, LogSigmoid, LogSoftmax,
                     MaxPool2d, MSELoss, NLLLoss, ReLU, Sigmoid, SiLU, SmoothL1Loss, Softmax, Softplus, Tanh)
from .module import Module, ModuleDict, ModuleList, Parameter, ParameterList, Sequential
from .reeval import frozen_running_stats, reevaluate, rng_snapshot, running_stats_frozen
from .rnn import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

__all__ = ["Module", "ModuleList", "Parameter", "Sequential", "Linear", "Conv2d", "MaxPool2d", "AvgPool2d",
           "BatchNorm1d", "BatchNorm2d", "Dropout", "ReLU", "Tanh", "Sigmoid", "Flatten", "Embedding", "LSTM", "init",
           "ModuleDict", "ParameterList", "Conv1d", "ConvTranspose2d", "AdaptiveAvgPool2d", "LayerNorm", "GroupNorm",
           "Identity", "LeakyReLU", "GELU", "SiLU", "ELU", "Softplus", "LogSigmoid", "Softmax", "LogSoftmax",
           "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss", "RNN", "GRU", "RNNCell", "LSTMCell", "GRUCell",
           "frozen_running_stats", "reevaluate", "rng_snapshot", "running_stats_frozen"]

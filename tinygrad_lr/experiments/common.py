"""Shared helpers for the experiments: output folders, JSON/CSV, MNIST with a validation split, method factory."""
import csv
import json
import os

import numpy as np

from .. import hyper, optim
from ..optim import lr_scheduler

METHODS = ("sgd", "expdecay", "adadelta", "firstorder", "firstorder-val", "rthpo", "rthpo-train", "lossgrad")


def out_dir(path):
    os.makedirs(path, exist_ok=True)
    return path


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, default=_jsonable)


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def write_csv(path, rows):
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, keys)
        w.writeheader()
        w.writerows(rows)


def mnist_split(root=None, val_size=10000, seed=0, flatten=True):
    """MNIST as (train, val, test) arrays; the validation set is taken from the training set (seeded)."""
    import datasets
    X, y = datasets.load_mnist(root, "train", flatten=flatten)
    Xte, yte = datasets.load_mnist(root, "test", flatten=flatten)
    (Xtr, ytr), (Xva, yva) = datasets.train_val_split(X, y, val_size=val_size, seed=seed)
    return (Xtr, ytr), (Xva, yva), (Xte, yte)


def make_method(method, params, lr, hyper_lr=0.0, val_closure=None, optimizer="sgd", momentum=0.0,
                steps_per_epoch=None, decay=0.9):
    """(object to step, per-epoch scheduler or None) for a learning-rate method name of METHODS."""
    base = {"sgd": lambda: optim.SGD(params, lr=lr, momentum=momentum),
            "adam": lambda: optim.Adam(params, lr=lr),
            "rmsprop": lambda: optim.RMSprop(params, lr=lr),
            "adagrad": lambda: optim.Adagrad(params, lr=lr),
            "adadelta": lambda: optim.Adadelta(params, lr=lr)}
    if optimizer not in base:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose from {sorted(base)}")
    if method == "sgd":
        return base[optimizer](), None
    if method == "expdecay":
        opt = base[optimizer]()
        return opt, lr_scheduler.ExponentialLR(opt, gamma=decay)
    if method == "adadelta":
        return optim.Adadelta(params, lr=1.0 if lr is None else lr), None
    if method in ("firstorder", "firstorder-val"):
        return hyper.FirstOrder(base[optimizer](), hyper_lr,
                                val_closure=val_closure if method == "firstorder-val" else None), None
    if method in ("rthpo", "rthpo-train"):
        return hyper.RTHPO(base[optimizer](), hyper_lr, val_closure=val_closure if method == "rthpo" else None), None
    if method == "lossgrad":
        return hyper.LossGrad(base[optimizer]()), None
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")

"""One training run per (method, model, multiplier, seed): a cell of examples/common/runner.py."""
import time

import numpy as np

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import hyper, optim
from tinygrad_lr.train import evaluate, fit

from ..common.data import mnist_split
from ..common.methods import LR_FREE
from ..common.runner import Cell
from ..sweep.compute import _Counted, _cycle
from .config import BETA, METHODS, MLP_SIZES

DIVERGED = (ValueError, FloatingPointError, OverflowError, ArithmeticError)  # SPS raises ValueError('Got NaNs')


def make_stepper(method, params, lr, val_closure):
    """The object to step for a method name of config.METHODS at learning rate `lr` (the default times the
    multiplier)."""
    params = list(params)
    if method in LR_FREE:
        return LR_FREE[method](params, lr)
    if method == "sgd":
        return optim.SGD(params, lr=lr)
    if method == "adam":
        return optim.Adam(params, lr=lr)
    if method == "adadelta":
        return optim.Adadelta(params, lr=lr)
    if method in ("firstorder", "firstorder-val"):
        return hyper.FirstOrder(optim.SGD(params, lr=lr), BETA,
                                val_closure=val_closure if method == "firstorder-val" else None)
    if method == "rthpo":
        return hyper.RTHPO(optim.SGD(params, lr=lr), BETA, val_closure=val_closure)
    if method == "lossgrad":
        return hyper.LossGrad(optim.SGD(params, lr=lr))
    if method == "gdm+":
        n = sum(p.numel() for p in params)
        return hyper.FischerPlus(optim.SGD(params, lr=lr, momentum=0.9), BETA * n, granularity="global")
    raise ValueError(f"unknown method {method!r}; choose from {list(METHODS)}")


def load_data(root=None, model="mlp", train_size=None, val_size=10000):
    (Xtr, ytr), val, test = mnist_split(root, val_size=val_size, flatten=model == "mlp")
    return ((Xtr[:train_size], ytr[:train_size]) if train_size else (Xtr, ytr)), val, test


def make_model(model):
    from tinygrad_lr import models
    return models.MLP(list(MLP_SIZES)) if model == "mlp" else models.LeNet5()


def _finite(x):
    return x is not None and bool(np.isfinite(x))


def _plain(v):
    a = np.asarray(v, dtype=float)
    return float(a) if a.ndim == 0 else a.tolist()


def train_run(method, model_name, multiplier, seed, epochs, data, batch=128, report=None):
    """Train one model; returns a JSON-able dict: test accuracy/loss, the validation curve, the adapted values
    (the last epoch's), the wall time, whether it diverged."""
    from tinygrad_lr import datasets
    (Xtr, ytr), (Xva, yva), (Xte, yte) = data
    lr = METHODS[method].default_lr * multiplier
    tl.manual_seed(seed)
    model = make_model(model_name)
    val_iter = _cycle(datasets.DataLoader(Xva, yva, batch_size=batch, shuffle=True, seed=seed + 1000))

    def val_closure():
        xb, yb = next(val_iter)
        return F.cross_entropy(model(xb), yb)

    stepper = make_stepper(method, model.parameters(), lr, val_closure)
    train = datasets.DataLoader(Xtr, ytr, batch_size=batch, shuffle=True, seed=seed)
    if report is not None:
        train = _Counted(train, report, epochs)
    t0, hist, error = time.perf_counter(), [], None
    with np.errstate(all="ignore"):
        try:
            hist = fit(model, stepper, train, epochs, progress=False,
                       val_loader=datasets.DataLoader(Xva, yva, batch_size=1000))
        except DIVERGED as e:
            error = f"{type(e).__name__}: {e}"
        seconds = time.perf_counter() - t0
        test = evaluate(model, datasets.DataLoader(Xte, yte, batch_size=1000))
    diverged = error is not None or not _finite(test["loss"]) or not _finite(hist[-1]["loss"] if hist else None)
    return {"method": method, "family": METHODS[method].family, "model": model_name, "multiplier": multiplier,
            "lr": lr, "seed": seed, "epochs": epochs, "train_size": len(Xtr),
            "test_accuracy": 0.0 if diverged else float(test.get("accuracy", 0.0)),
            "test_loss": float(test["loss"]) if _finite(test["loss"]) else None,
            "val_curve": [h.get("val_accuracy") if _finite(h.get("val_loss")) else 0.0 for h in hist],
            "train_loss_curve": [h["loss"] if _finite(h["loss"]) else None for h in hist],
            "adapted": {k: _plain(v) for k, v in (hist[-1].get("adapted") or {}).items()} if hist else {},
            "final_lr": float(hist[-1]["lr"]) if hist and _finite(hist[-1].get("lr")) else None,
            "diverged": diverged, "error": error, "seconds": seconds}


TASK = f"{__name__}:run_cell"
_DATA = {}  # (root, model, train_size, val_size) -> data, loaded once per worker process


def cell(method, model, multiplier, seed, settings, root=None):
    """One run as a runner cell; settings: epochs, batch, train_size, val_size (its parameters). The data root is
    not a parameter (it may differ between machines)."""
    params = {"experiment": "which_method", "data": "mnist", "method": method, "model": model,
              "multiplier": multiplier, "default_lr": METHODS[method].default_lr, "beta": BETA, "seed": seed,
              **{k: settings[k] for k in ("epochs", "batch", "train_size", "val_size")}}
    return Cell(TASK, params, {"root": root}, label=f"{method}_{model}_x{multiplier:g}_s{seed}")


def run_cell(params, env, report):
    """The runner's task: train_run on MNIST (loaded once per process) for a cell's parameters."""
    key = (env.get("root"), "mlp" if params["model"] == "mlp" else "image", params["train_size"], params["val_size"])
    if key not in _DATA:
        _DATA[key] = load_data(key[0], params["model"], params["train_size"], params["val_size"])
    return train_run(params["method"], params["model"], params["multiplier"], params["seed"], params["epochs"],
                     _DATA[key], params["batch"], report=report)

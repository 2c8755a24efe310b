"""The sweep's computation: train one MNIST MLP per cell of the (η̄, β) grid with the first seed, then re-run the
best cell with the other seeds. `cells` and `run_cell` are the grid as tasks of examples/common/runner.py (each run
in a worker process or on a Dask worker); `grid` runs one method's grid in this process."""
import time

import numpy as np

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr.hyper.base import LRMethod
from tinygrad_lr.train import evaluate, fit

from ..common.data import mnist_split
from ..common.methods import make_method
from .config import NEEDS_BETA


def _cycle(loader):
    while True:
        yield from loader


MODELS = ("mlp", "lenet")  # Majumder et al. (2019)'s Table 1: the MLP 784-512-256-10 and LeNet-5 on MNIST


def load_data(root=None, train_size=None, model="mlp"):
    """MNIST as (train, val, test), flat for the MLP, (N, 1, 28, 28) for LeNet-5; train_size (optional) keeps only
    the first samples of the training split."""
    (Xtr, ytr), val, test = mnist_split(root, flatten=model == "mlp")
    return ((Xtr[:train_size], ytr[:train_size]) if train_size else (Xtr, ytr)), val, test


class _Counted:
    """A loader that reports each batch: report(step=, steps=, epoch=, epochs=)."""

    def __init__(self, loader, report, epochs):
        self.loader, self.report, self.epochs, self.epoch, self.step = loader, report, epochs, 0, 0

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        self.epoch += 1
        steps = len(self.loader) * self.epochs
        for batch in self.loader:
            yield batch
            self.step += 1
            self.report(step=self.step, steps=steps, epoch=self.epoch, epochs=self.epochs,
                        force=self.step == steps)


def train_run(method, lr, hyper_lr, seed, epochs, data, sizes=(784, 512, 256, 10), batch=128, optimizer="sgd",
              progress=False, hyperparams=("lr",), report=None, model="mlp", guard=None):
    """Train one MLP (model="lenet": one LeNet-5, sizes unused); returns test accuracy/loss, the learning-rate
    trajectory, the final adapted values and the wall time. report (optional): called after every step with step,
    steps, epoch, epochs."""
    from tinygrad_lr import datasets, models
    (Xtr, ytr), (Xva, yva), (Xte, yte) = data
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    tl.manual_seed(seed)
    name, model = model, models.MLP(list(sizes)) if model == "mlp" else models.LeNet5()
    val_iter = _cycle(datasets.DataLoader(Xva, yva, batch_size=batch, shuffle=True, seed=seed + 1000))

    def val_closure():
        xb, yb = next(val_iter)
        return F.cross_entropy(model(xb), yb)

    stepper, sched = make_method(method, model.parameters(), lr, hyper_lr, val_closure, optimizer,
                                 hyperparams=hyperparams if method in NEEDS_BETA else ("lr",),
                                 **(guard or {}) if method in NEEDS_BETA else {})
    train = datasets.DataLoader(Xtr, ytr, batch_size=batch, shuffle=True, seed=seed)
    if report is not None:
        train = _Counted(train, report, epochs)
    t0 = time.perf_counter()
    hist = fit(model, stepper, train, epochs, scheduler=sched, progress=progress,
               val_loader=datasets.DataLoader(Xva, yva, batch_size=1000))  # the validation curve, per epoch
    seconds = time.perf_counter() - t0
    test = evaluate(model, datasets.DataLoader(Xte, yte, batch_size=1000))
    acc = test.get("accuracy", 0.0)
    lrs = [h["lr"] for h in stepper.history] if isinstance(stepper, LRMethod) else [h["lr"] for h in hist]
    return {"model": name, "method": method, "lr": lr, "hyper_lr": hyper_lr, "seed": seed, "epochs": epochs,
            "test_accuracy": acc if np.isfinite(test["loss"]) else 0.0, "test_loss": test["loss"],
            "train_loss": hist[-1]["loss"], "final_lr": lrs[-1] if lrs else lr, "lr_trace": lrs[::10],
            "skipped": getattr(stepper, "skipped", 0), "seconds": seconds,
            "adapted": stepper.adapted() if hasattr(stepper, "adapted") else {}, "train_size": len(Xtr),
            "val_accuracy": hist[-1].get("val_accuracy", 0.0) if np.isfinite(hist[-1].get("val_loss", np.nan))
            else 0.0, "val_curve": [h.get("val_accuracy") for h in hist]}


def score(run):
    """What picks a method's best cell: the final validation accuracy (the test set is only reported)."""
    return run.get("val_accuracy", run["test_accuracy"])


TASK = f"{__name__}:run_cell"
_DATA = {}  # (root, train_size, model) -> data, loaded once per worker process


def cell(method, lr, hyper_lr, seed, settings, root=None):
    """One training run as a runner cell. settings: epochs, sizes, batch, optimizer, hyperparams, train_size and
    model ("mlp", the default, or "lenet") and guard (optional: {"lr_bounds": [lo, hi], "max_growth": g} for the
    hypergradient methods' η) (its parameters); the data root is not one (it may differ between
    machines)."""
    model = settings.get("model", "mlp")
    params = {"model": model, "data": "mnist", "method": method, "lr": lr, "hyper_lr": hyper_lr, "seed": seed,
              "epochs": settings["epochs"], "sizes": list(settings["sizes"]) if model == "mlp" else [],
              "batch": settings["batch"],
              "optimizer": settings["optimizer"], "train_size": settings["train_size"],
              "hyperparams": list(settings["hyperparams"]) if method in NEEDS_BETA else ["lr"]}
    guard = settings.get("guard") if method in NEEDS_BETA else None
    if guard:  # only then a parameter: the cells run without a guard keep their keys
        params["guard"] = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in guard.items()}
    label = (("" if model == "mlp" else f"{model}_") + f"{method}_lr{lr}"
             + (f"_b{hyper_lr}" if method in NEEDS_BETA else "") + ("_guard" if guard else "") + f"_s{seed}")
    from ..common.runner import Cell
    return Cell(TASK, params, {"root": None if root is None else str(root)}, label)


def run_cell(params, env, report):
    """The runner's task: train_run on MNIST (loaded once per process) for a cell's parameters."""
    key = (env.get("root"), params["train_size"], params["model"])
    if key not in _DATA:
        _DATA[key] = load_data(*key)
    return train_run(params["method"], params["lr"], params["hyper_lr"], params["seed"], params["epochs"],
                     _DATA[key], tuple(params["sizes"]), params["batch"], params["optimizer"],
                     hyperparams=tuple(params["hyperparams"]), report=report, model=params["model"],
                     guard=params.get("guard"))


def grid_cells(method, lrs, hyper_lrs, seed, settings, root=None):
    """One method's (η̄, β) grid (η̄ only for AdaDelta, β only where NEEDS_BETA) with one seed."""
    betas = hyper_lrs if method in NEEDS_BETA else [0.0]
    etas = [None] if method == "adadelta" else lrs
    return [cell(method, e, b, seed, settings, root) for e in etas for b in betas]


def grid(method, lrs, hyper_lrs, seeds, epochs, data, sizes=(784, 512, 256, 10), batch=128, optimizer="sgd",
         progress=True, log=print, hyperparams=("lr",), model="mlp"):
    """One method's runs: every (η̄, β) cell with seeds[0] (η̄ only for AdaDelta, β only where NEEDS_BETA), then
    the best cell with each of the other seeds."""
    betas = hyper_lrs if method in NEEDS_BETA else [0.0]
    etas = [None] if method == "adadelta" else lrs
    cells = [(e, b) for e in etas for b in betas]
    runs = []
    bar = _progress(len(cells) + len(seeds) - 1, f"sweep {method}", progress)
    for e, b in cells:
        runs.append(train_run(method, e, b, seeds[0], epochs, data, sizes, batch, optimizer,
                              hyperparams=hyperparams, model=model))
        log(f"[{method}] lr {e} hyper_lr {b} seed {seeds[0]}: test accuracy {runs[-1]['test_accuracy']:.4f} "
            f"({runs[-1]['seconds']:.0f} s)")
        bar.update()
    best = max(runs, key=score)
    for s in seeds[1:]:
        runs.append(train_run(method, best["lr"], best["hyper_lr"], s, epochs, data, sizes, batch, optimizer,
                              hyperparams=hyperparams, model=model))
        log(f"[{method}] best cell, seed {s}: test accuracy {runs[-1]['test_accuracy']:.4f}")
        bar.update()
    bar.close()
    return runs


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _progress(total, desc, on):
    if not on:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
        return tqdm(total=total, desc=desc, leave=False)
    except ImportError:
        return _NoBar()

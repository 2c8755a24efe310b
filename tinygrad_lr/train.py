"""A small training loop: fit / evaluate, per-epoch history, and checkpoints that resume bit for bit.

`optimizer` is any tinygrad_lr.optim optimizer or any tinygrad_lr.hyper learning-rate method; both are
driven through a closure that returns the loss of the current batch. A checkpoint (.npz, no pickle) holds
the model, the optimizer (with the learning-rate method's η, tangents and step count), the scheduler, the
data loader's position and RNG, the position of the validation batches a val_closure reads (a ValidationSampler
given to fit), the global RNG and the run's configuration: 1 epoch + save + load + 1 epoch equals 2 epochs, and a
checkpoint is not resumed under a different configuration. Loading is all or nothing.
"""
import os
import time


from . import backend, checkpoint
from . import functional as F
from .autograd import no_grad
from .hyper.base import LRMethod


def _batches(loader, progress, desc):
    if not progress:
        return loader
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return loader
    return tqdm(loader, desc=desc, leave=False, dynamic_ncols=True)


def _split(batch):
    """A loader yields (x, y) or x alone (then the target is the input, as for an autoencoder)."""
    if isinstance(batch, (tuple, list)):
        return batch[0], (batch[1] if len(batch) > 1 and batch[1] is not None else batch[0])
    return batch, batch


def _accuracy_count(out, y):
    if out.ndim != 2 or y.dtype.kind not in "iu":
        return None
    return int((out.data.argmax(1) == y.data).sum())


def evaluate(model, loader, loss_fn=F.cross_entropy, progress=False):
    """Mean loss over all samples, and accuracy when the model outputs class scores for integer targets: a dict
    {"loss", "accuracy"}. The model runs in eval mode under no_grad (its mode is restored).

    Args:
        model: a callable module.
        loader: an iterable of (x, y) batches, or of x alone (the target is then x, as for an autoencoder).
        loss_fn: loss_fn(output, target) -> a scalar Tensor (mean over the batch).
        progress: show a tqdm progress bar (when tqdm is installed)."""
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    total, n, correct = 0.0, 0, 0
    with no_grad():
        for batch in _batches(loader, progress, "eval"):
            x, y = _split(batch)
            out = model(x)
            k = out.shape[0]
            total += float(loss_fn(out, y).item()) * k
            c = _accuracy_count(out, y)
            correct = None if c is None or correct is None else correct + c
            n += k
    if was_training and hasattr(model, "train"):
        model.train()
    res = {"loss": total / max(n, 1)}
    if correct is not None:
        res["accuracy"] = correct / max(n, 1)
    return res


def current_lr(optimizer):
    """The learning rate of `optimizer` to log: a learning-rate method's η (lr_summary()), else its first param
    group's lr."""
    if isinstance(optimizer, LRMethod):
        return optimizer.lr_summary()
    return optimizer.param_groups[0]["lr"]


def train_step(model, optimizer, x, y, loss_fn=F.cross_entropy):
    """One update of `model` on the batch (x, y): the loss_fn(model(x), y) closure handed to `optimizer` (an
    optimizer, or a learning-rate method of tinygrad_lr.hyper, which differentiates it itself); returns (loss
    Tensor, model output)."""
    cache = {}

    def closure():  # LossGrad calls it again after the step: keep the first output for the metrics
        out = model(x)
        cache.setdefault("out", out)
        return loss_fn(out, y)

    if isinstance(optimizer, LRMethod) or optimizer.needs_graph:
        loss = optimizer.step(closure)
    else:
        optimizer.zero_grad()
        loss = closure()
        loss.backward()
        optimizer.step((lambda: loss) if optimizer.needs_loss else None)  # SPS, L4: Φ reads the loss
    return loss, cache["out"]


class ValidationSampler:
    """An endless stream of batches from a loader (a new pass starts whenever one ends) for a val_closure, whose
    position fit() saves in its checkpoints, so that a resumed run reads the same validation batches as an
    uninterrupted one:

        val = ValidationSampler(DataLoader(Xva, yva, batch_size=128, shuffle=True, seed=1))

        def val_loss():
            x, y = next(val)
            return F.cross_entropy(model(x), y)
        method = hyper.RTHPO(opt, 1e-3, val_closure=val_loss)
        fit(model, method, train, epochs, val_sampler=val, checkpoint_path=...)

    `next(sampler)` gives the next batch; the loader must have state_dict/load_state_dict (datasets.DataLoader)."""

    def __init__(self, loader):
        """loader: the validation batches (a datasets.DataLoader, or anything with state_dict/load_state_dict)."""
        if not (hasattr(loader, "state_dict") and hasattr(loader, "load_state_dict")):
            raise TypeError(f"ValidationSampler needs a loader with state_dict/load_state_dict (datasets.DataLoader), "
                            f"got {type(loader).__name__}")
        self.loader, self._it = loader, None

    def __iter__(self):
        return self

    def __next__(self):
        for _ in range(2):
            if self._it is None:
                self._it = iter(self.loader)
            try:
                return next(self._it)
            except StopIteration:
                self._it = None
        raise ValueError("ValidationSampler: the loader yields no batches")

    def state_dict(self):
        return self.loader.state_dict()

    def load_state_dict(self, state):
        self.loader.load_state_dict(state)
        self._it = None


def state(model, optimizer, loader=None, scheduler=None, epoch=0, history=None, val_sampler=None, config=None):
    """The checkpoint contents: the state_dict() of model, optimizer, scheduler, loader and val_sampler (None
    where not given), every used device's RNG state, the epoch count, the history and the run's config."""
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "loader": None if loader is None or not hasattr(loader, "state_dict") else loader.state_dict(),
            "val_sampler": None if val_sampler is None else val_sampler.state_dict(),
            "rng": {d: backend.rng_state(d) for d in backend.rng_devices()}, "epoch": epoch,
            "history": history or [], "config": config}


def save_checkpoint(path, model, optimizer, loader=None, scheduler=None, epoch=0, history=None, val_sampler=None,
                    config=None):
    """Write state(model, optimizer, loader, scheduler, epoch, history, val_sampler, config) to the .npz file at
    path, atomically (tinygrad_lr.checkpoint.save)."""
    checkpoint.save(path, state(model, optimizer, loader, scheduler, epoch, history, val_sampler, config))


def config_differences(saved, config):
    """The keys whose values differ between a checkpoint's recorded configuration `saved` and `config` (dicts or
    None), sorted."""
    saved, config = saved or {}, config or {}
    return sorted(k for k in set(saved) | set(config) if saved.get(k, _MISSING) != config.get(k, _MISSING))


_MISSING = object()
_PARTS = ("model", "optimizer", "scheduler", "loader", "rng", "epoch", "history")


def load_checkpoint(path, model, optimizer=None, loader=None, scheduler=None, val_sampler=None, config=None):
    """Restore everything save_checkpoint stored at path into model, optimizer, loader, scheduler and val_sampler
    (each optional but model; None: not restored), and the RNG states; returns (epoch, history). All or nothing:
    on any error (a part missing or not fitting, a configuration that differs from `config` when one is given)
    nothing is changed."""
    st = checkpoint.load(path)
    missing = [k for k in _PARTS if k not in st]
    if missing:
        raise ValueError(f"checkpoint {str(path)!r} has no {', '.join(missing)}: not written by save_checkpoint")
    if config is not None:
        diff = config_differences(st.get("config"), config)
        if diff:
            saved = st.get("config") or {}
            raise ValueError(f"checkpoint {str(path)!r} was written with a different configuration: " + ", ".join(
                f"{k} {saved.get(k, '(unset)')!r} there, {config.get(k, '(unset)')!r} now" for k in diff)
                + "; use another output folder, or the same settings to resume")
    if val_sampler is not None and st.get("val_sampler") is None:
        raise ValueError(f"checkpoint {str(path)!r} holds no validation sampler position")
    before = state(model, optimizer, loader, scheduler, val_sampler=val_sampler) if optimizer is not None else \
        {"model": model.state_dict(), "rng": {d: backend.rng_state(d) for d in backend.rng_devices()},
         "scheduler": None if scheduler is None else scheduler.state_dict(),
         "loader": None if loader is None else loader.state_dict(),
         "val_sampler": None if val_sampler is None else val_sampler.state_dict()}
    try:
        _restore(st, model, optimizer, loader, scheduler, val_sampler)
    except BaseException:
        _restore(before, model, optimizer, loader, scheduler, val_sampler)
        raise
    return st["epoch"], st["history"]


def _restore(st, model, optimizer, loader, scheduler, val_sampler):
    model.load_state_dict(st["model"])
    if optimizer is not None:
        optimizer.load_state_dict(st["optimizer"])
    if scheduler is not None and st["scheduler"] is not None:
        scheduler.load_state_dict(st["scheduler"])
    if loader is not None and st["loader"] is not None:
        loader.load_state_dict(st["loader"])
    if val_sampler is not None and st.get("val_sampler") is not None:
        val_sampler.load_state_dict(st["val_sampler"])
    for d, s in st["rng"].items():
        backend.set_rng_state(s, d)


def _optimizer_modes(optimizer):
    """(train, eval) of an optimizer that has both (Schedule-Free: which sequence the weights hold), else None."""
    opt = getattr(optimizer, "optimizer", optimizer)  # a learning-rate method's wrapped optimizer
    tr, ev = getattr(opt, "train", None), getattr(opt, "eval", None)
    return (tr, ev) if callable(tr) and callable(ev) else None


def fit(model, optimizer, train_loader, epochs=1, loss_fn=F.cross_entropy, val_loader=None, scheduler=None,
        checkpoint_path=None, resume=False, progress=True, log=None, val_sampler=None, config=None):
    """Train for `epochs` epochs (counting the ones a resumed checkpoint already did). Returns the history: one
    dict per epoch with train loss/accuracy, val loss/accuracy (if val_loader), lr, seconds, and "adapted" (a dict
    of floats: what the optimizer or learning-rate method adapts, its adapted()) when there is any. An optimizer
    with train()/eval() (Schedule-Free) is switched to train() for each epoch's steps and to eval() after them, so
    validation, checkpoints and the returned model see its averaged weights.

    Args:
        model: the module to train.
        optimizer: an optimizer of tinygrad_lr.optim, or a learning-rate method of tinygrad_lr.hyper.
        train_loader: the training batches ((x, y), or x alone for an autoencoder), one pass per epoch.
        epochs: the total number of epochs.
        loss_fn: loss_fn(output, target) -> a scalar Tensor.
        val_loader: batches evaluated after every epoch (evaluate), or None.
        scheduler: a learning-rate scheduler stepped after every epoch (ReduceLROnPlateau with the validation
            loss, else the training loss), or None.
        checkpoint_path: a .npz file written after every epoch, or None.
        resume: continue from checkpoint_path if it exists.
        progress: show a tqdm progress bar per epoch.
        log: a function called with one line of text per epoch (e.g. print), or None.
        val_sampler: the ValidationSampler a learning-rate method's val_closure draws from; its position goes
            into the checkpoints.
        config: a dict of plain values describing the run (hyper-parameters, data, seed), recorded in the
            checkpoints; resume refuses a checkpoint whose recorded configuration differs, naming the keys."""
    start, history = 0, []
    if resume and checkpoint_path is not None:
        if os.path.exists(checkpoint_path):
            start, history = load_checkpoint(checkpoint_path, model, optimizer, train_loader, scheduler,
                                             val_sampler, config)
    modes = _optimizer_modes(optimizer)  # Schedule-Free: train() puts y in the weights, eval() the average x
    for epoch in range(start, epochs):
        if hasattr(model, "train"):
            model.train()
        if modes:
            modes[0]()
        t0, total, n, correct = time.perf_counter(), 0.0, 0, 0
        for batch in _batches(train_loader, progress, f"epoch {epoch + 1}/{epochs}"):
            x, y = _split(batch)
            loss, out = train_step(model, optimizer, x, y, loss_fn)
            k = out.shape[0]
            total += float(loss.item()) * k
            n += k
            c = _accuracy_count(out, y)
            correct = None if c is None or correct is None else correct + c
        if modes:  # evaluate and save the averaged weights
            modes[1]()
        rec = {"epoch": epoch + 1, "loss": total / max(n, 1), "lr": current_lr(optimizer),
               "seconds": time.perf_counter() - t0}
        if correct is not None:
            rec["accuracy"] = correct / max(n, 1)
        adapted = optimizer.adapted() if hasattr(optimizer, "adapted") else {}
        if adapted:  # η of a learning-rate method, d of D-Adaptation, ...: at the end of the epoch
            rec["adapted"] = adapted
        if val_loader is not None:
            rec.update({f"val_{k}": v for k, v in evaluate(model, val_loader, loss_fn).items()})
        if scheduler is not None:
            if hasattr(scheduler, "best"):  # ReduceLROnPlateau watches the validation (else training) loss
                scheduler.step(rec.get("val_loss", rec["loss"]))
            else:
                scheduler.step()
        history.append(rec)
        if log is not None:
            log(" ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in rec.items()))
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, model, optimizer, train_loader, scheduler, epoch + 1, history,
                            val_sampler, config)
    return history



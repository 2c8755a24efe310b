"""A small training loop: fit / evaluate, per-epoch history, and checkpoints that resume bit for bit.

`optimizer` is any tinygrad_lr.optim optimizer or any tinygrad_lr.hyper learning-rate method; both are
driven through a closure that returns the loss of the current batch. A checkpoint (.npz, no pickle) holds
the model, the optimizer (with the learning-rate method's η, tangents and step count), the scheduler, the
data loader's position and RNG, and the global RNG: 1 epoch + save + load + 1 epoch equals 2 epochs.
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
    """Mean loss over all samples, and accuracy when the model outputs class scores for integer targets."""
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
    if isinstance(optimizer, LRMethod):
        return optimizer.lr_summary()
    return optimizer.param_groups[0]["lr"]


def train_step(model, optimizer, x, y, loss_fn=F.cross_entropy):
    """One update on one batch; returns (loss Tensor, model output)."""
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
        optimizer.step()
    return loss, cache["out"]


def state(model, optimizer, loader=None, scheduler=None, epoch=0, history=None):
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": None if scheduler is None else scheduler.state_dict(),
            "loader": None if loader is None or not hasattr(loader, "state_dict") else loader.state_dict(),
            "rng": {d: backend.rng_state(d) for d in backend.rng_devices()}, "epoch": epoch,
            "history": history or []}


def save_checkpoint(path, model, optimizer, loader=None, scheduler=None, epoch=0, history=None):
    checkpoint.save(path, state(model, optimizer, loader, scheduler, epoch, history))


def load_checkpoint(path, model, optimizer=None, loader=None, scheduler=None):
    """Restore everything save_checkpoint stored; returns (epoch, history)."""
    st = checkpoint.load(path)
    model.load_state_dict(st["model"])
    if optimizer is not None:
        optimizer.load_state_dict(st["optimizer"])
    if scheduler is not None and st["scheduler"] is not None:
        scheduler.load_state_dict(st["scheduler"])
    if loader is not None and st["loader"] is not None:
        loader.load_state_dict(st["loader"])
    for d, s in st["rng"].items():
        backend.set_rng_state(s, d)
    return st["epoch"], st["history"]


def fit(model, optimizer, train_loader, epochs=1, loss_fn=F.cross_entropy, val_loader=None, scheduler=None,
        checkpoint_path=None, resume=False, progress=True, log=None):
    """Train for `epochs` epochs (counting the ones a resumed checkpoint already did). Returns the history: one
    dict per epoch with train loss/accuracy, val loss/accuracy (if val_loader), lr and seconds."""
    start, history = 0, []
    if resume and checkpoint_path is not None:
        if os.path.exists(checkpoint_path):
            start, history = load_checkpoint(checkpoint_path, model, optimizer, train_loader, scheduler)
    for epoch in range(start, epochs):
        if hasattr(model, "train"):
            model.train()
        t0, total, n, correct = time.perf_counter(), 0.0, 0, 0
        for batch in _batches(train_loader, progress, f"epoch {epoch + 1}/{epochs}"):
            x, y = _split(batch)
            loss, out = train_step(model, optimizer, x, y, loss_fn)
            k = out.shape[0]
            total += float(loss.item()) * k
            n += k
            c = _accuracy_count(out, y)
            correct = None if c is None or correct is None else correct + c
        rec = {"epoch": epoch + 1, "loss": total / max(n, 1), "lr": current_lr(optimizer),
               "seconds": time.perf_counter() - t0}
        if correct is not None:
            rec["accuracy"] = correct / max(n, 1)
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
            save_checkpoint(checkpoint_path, model, optimizer, train_loader, scheduler, epoch + 1, history)
    return history



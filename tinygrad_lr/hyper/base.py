"""What every learning-rate method shares: it wraps an optimizer, owns the learning rate η (one global value,
one per parameter tensor, or one per element), applies the optimizer's update map Φ with that η, keeps a
history, honours optional bounds on η, and skips (and counts) any update that is not finite."""
import math

import numpy as np

from ..autograd import enable_grad, grad
from ..backend import device_of, to_host, xp
from ..tensor import Tensor

GRANULARITIES = ("global", "tensor", "element")


class LRMethod:
    def __init__(self, optimizer, granularity="global", lr_bounds=None):
        if granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
        self.optimizer, self.granularity = optimizer, granularity
        self.params = optimizer.params()
        self.groups = [g for g in optimizer.param_groups for _ in g["params"]]
        lrs = [float(g["lr"]) for g in self.groups]
        if granularity == "global" and len(set(lrs)) > 1:
            raise ValueError(f"granularity 'global' needs one learning rate, but the param groups have {sorted(set(lrs))}"
                             "; use granularity 'tensor' or equal lrs")
        if lr_bounds is not None:
            lo, hi = lr_bounds
            if lo is not None and hi is not None and lo > hi:
                raise ValueError(f"lr_bounds: lower bound {lo} is above upper bound {hi}")
        self.lr_bounds = lr_bounds
        if granularity == "global":
            self.eta = lrs[0]
        elif granularity == "tensor":
            self.eta = lrs
        else:
            self.eta = [xp(p.device).full(p.shape, lr, dtype=p.dtype) for p, lr in zip(self.params, lrs)]
        self.t, self.skipped, self.history = 0, 0, []

    # ---- η ------------------------------------------------------------------------------------------------
    @property
    def lr(self):
        """The current η: a float (global), a list of floats (tensor) or a list of arrays (element)."""
        return self.eta

    def eta_of(self, i, requires_grad=False):
        """η of parameter i as a Tensor in the parameter's dtype and device (a leaf when requires_grad)."""
        p = self.params[i]
        e = self.eta if self.granularity == "global" else self.eta[i]
        arr = e if self.granularity == "element" else xp(p.device).asarray(e, dtype=p.dtype)
        return Tensor.wrap(arr, p.device, requires_grad)

    def _clip(self, v):
        if self.lr_bounds is None:
            return v
        lo, hi = self.lr_bounds
        if isinstance(v, float):
            return min(max(v, -math.inf if lo is None else lo), math.inf if hi is None else hi)
        return xp_of(v).clip(v, lo, hi)

    def _move_eta(self, delta):
        """η ← clip(η - delta), skipped (and counted) unless every entry of delta is finite."""
        finite = all(bool(np.all(np.isfinite(_host(d)))) for d in (delta if isinstance(delta, list) else [delta]))
        if not finite:
            self.skipped += 1
            return False
        if self.granularity == "global":
            self.eta = self._clip(float(self.eta - delta))
        elif self.granularity == "tensor":
            self.eta = [self._clip(float(e - d)) for e, d in zip(self.eta, delta)]
        else:
            self.eta = [self._clip((e - d).astype(e.dtype, copy=False)) for e, d in zip(self.eta, delta)]
        return True

    def lr_summary(self):
        """η for the history: a float (global), or one float per tensor (the mean, for element)."""
        if self.granularity == "global":
            return float(self.eta)
        if self.granularity == "tensor":
            return list(self.eta)
        return [float(e.mean()) for e in self.eta]

    # ---- the pieces of a step -------------------------------------------------------------------------------
    def loss_of(self, closure, name="closure"):
        with enable_grad():
            loss = closure()
        if not isinstance(loss, Tensor) or loss.data.size != 1:
            shape = loss.shape if isinstance(loss, Tensor) else type(loss).__name__
            raise ValueError(f"{name}() must return the scalar loss Tensor of the current batch, got {shape}")
        return loss

    def loss_and_grads(self, closure, create_graph=False):
        """(loss, grads) of the current batch, or (loss, None) when either is not finite: then the whole step is
        skipped, counted and recorded, and neither the weights nor η move."""
        loss = self.loss_of(closure)
        grads = self.grads_of(loss, create_graph=create_graph)
        if self.finite(loss, *grads):
            return loss, grads
        self.skipped += 1
        self.record(loss, skipped=True)
        return loss, None

    def grads_of(self, loss, create_graph=False):
        if not loss.requires_grad:
            raise ValueError("the loss does not depend on the optimizer's parameters (was it computed under no_grad?)")
        gs = grad(loss, self.params, create_graph=create_graph, retain_graph=create_graph, allow_unused=True)
        return [Tensor.zeros_like(p) if g is None else g for p, g in zip(self.params, gs)]

    def apply_step(self, grads):
        """(w, s) ← Φ(w, g, s, η) for every parameter, with this method's η."""
        self.optimizer.apply_phi(grads, lrs=[self.eta_of(i) for i in range(len(self.params))])

    @staticmethod
    def finite(*tensors):
        """All entries finite? (A sum is non-finite iff an entry is, barring overflow, itself a red flag.)"""
        return all(bool(xp_of(t.data).isfinite(t.data.sum())) for t in tensors)

    def record(self, loss, hypergrad=None, skipped=False):
        h = hypergrad
        if isinstance(h, list):
            h = [float(_host(x).mean()) for x in h]
        self.history.append({"step": self.t, "lr": self.lr_summary(), "hypergrad": h,
                             "loss": float(loss.item()), "skipped": skipped})

    def zero_grad(self, set_to_none=True):
        self.optimizer.zero_grad(set_to_none)

    # ---- checkpoints ----------------------------------------------------------------------------------------
    def extra_state(self):
        return {}

    def load_extra_state(self, state):
        pass

    def state_dict(self):
        eta = self.eta if self.granularity != "element" else [_host(e).copy() for e in self.eta]
        return {"type": type(self).__name__, "granularity": self.granularity, "eta": eta, "t": self.t,
                "skipped": self.skipped, "history": list(self.history), "optimizer": self.optimizer.state_dict(),
                **self.extra_state()}

    def load_state_dict(self, state):
        if state.get("type") != type(self).__name__:
            raise ValueError(f"load_state_dict: this is a {type(self).__name__}, the state dict is from a "
                             f"{state.get('type')}")
        if state["granularity"] != self.granularity:
            raise ValueError(f"load_state_dict: granularity {state['granularity']!r} in the state dict, "
                             f"{self.granularity!r} here")
        self.optimizer.load_state_dict(state["optimizer"])
        if self.granularity == "global":
            self.eta = float(state["eta"])
        elif self.granularity == "tensor":
            self.eta = [float(e) for e in state["eta"]]
        else:
            self.eta = [xp(p.device).asarray(np.asarray(e), dtype=p.dtype) for p, e in zip(self.params, state["eta"])]
        self.t, self.skipped = int(state["t"]), int(state["skipped"])
        self.history = [dict(h) for h in state.get("history", [])]
        self.load_extra_state(state)


def xp_of(arr):
    return np if isinstance(arr, (float, int)) else xp(device_of(arr))


def _host(a):
    return np.asarray(a) if isinstance(a, (float, int)) else to_host(a)

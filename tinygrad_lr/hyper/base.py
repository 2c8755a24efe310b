"""What every learning-rate method shares: it wraps an optimizer, owns the learning rate η (one global value,
one per parameter tensor, or one per element), applies the optimizer's update map Φ with that η, keeps a
history, honours optional bounds on η, and skips (and counts) any update that is not finite.

Two more things every method does the same way:
- bounds: `lr_bounds=(low, high)` (either may be None) clips η after every move, and the initial η too.
  `lr_bounds=(0, None)` is the safe choice: nothing else stops a hypergradient from pushing η through 0 (RT-HPO on
  Adam with a small β has reached η = -2890), and a negative η climbs the loss. Without bounds a warning is given
  the first time η changes sign.
- schedulers: a scheduler of tinygrad_lr.optim.lr_scheduler attached to `h.optimizer` composes with the method.
  When the scheduler moves a group's lr from a to b, the η of that group's parameters is multiplied by b/a (and
  clipped) at the next step, so the schedule scales the learning rate the method keeps adapting; a group whose
  lr was 0 restarts from b.
"""
import math

import numpy as np

from ..autograd import enable_grad, grad
from ..backend import device_of, to_host, xp
from ..optim.guards import Guard, check_bounds
from ..tensor import Tensor

GRANULARITIES = ("global", "tensor", "element")


class LRMethod:
    """Base class of the learning-rate methods (see the module docstring): it wraps an optimizer and owns η.
    A subclass defines `step(closure) -> loss`, built from loss_and_grads, apply_step and record; the wrapper is
    checkpointed with state_dict / load_state_dict, the optimizer's state included.

    Args:
        optimizer: the optimizer to wrap (any of tinygrad_lr.optim); its param groups' lr is the initial η.
        granularity: "global" (one η for all parameters), "tensor" (one η per parameter tensor) or "element"
            (one η per entry).
        lr_bounds: (low, high) to clip η to after every move (either may be None); None: no bounds."""

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
        self.lr_bounds = check_lr_bounds(lr_bounds)
        # the safeguards of η (tinygrad_lr.optim.guards): bounds, non-finite refusal, the sign-change warning, and
        # an optional growth cap (set_guard)
        self.guards = {"lr": Guard("the learning rate η", self.lr_bounds, hint="Pass lr_bounds=(0, None) to keep "
                                   "η >= 0, or lower hyper_lr")}
        if granularity == "global":
            self.eta = self._clip(lrs[0])
        elif granularity == "tensor":
            self.eta = [self._clip(lr) for lr in lrs]
        else:
            self.eta = [self._clip(xp(p.device).full(p.shape, lr, dtype=p.dtype)) for p, lr in zip(self.params, lrs)]
        self.group_lrs = [float(g["lr"]) for g in optimizer.param_groups]  # as last seen: a scheduler's moves
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

    def set_guard(self, name="lr", bounds=None, max_growth=None):
        """Safeguards for the adapted quantity `name` ("lr", or an adapted hyper-parameter): bounds (low, high),
        and a cap on its growth per step (new <= max_growth·old where old > 0). Replaces the guard's bounds and
        cap."""
        if name not in self.guards:
            raise ValueError(f"set_guard: {name!r} is not adapted here; adapted: {sorted(self.guards)}")
        g = self.guards[name]
        self.guards[name] = Guard(g.name, bounds, max_growth, hint=g.hint)
        self.guards[name].skipped, self.guards[name].warned = g.skipped, g.warned
        if name == "lr":
            self.lr_bounds = self.guards[name].bounds
            self.eta = self._clip(self.eta) if not isinstance(self.eta, list) else [self._clip(e) for e in self.eta]

    @property
    def sign_warned(self):
        return self.guards["lr"].warned

    @sign_warned.setter
    def sign_warned(self, v):
        self.guards["lr"].warned = bool(v)

    def _clip(self, v):
        return self.guards["lr"].clip(v)

    def _move_eta(self, delta):
        """η ← guard(η - delta): bounds, growth cap; skipped (and counted) unless every entry of delta is finite;
        a warning the first time η changes sign."""
        finite = all(bool(np.all(np.isfinite(_host(d)))) for d in (delta if isinstance(delta, list) else [delta]))
        if not finite:
            self.skipped += 1
            return False
        guard, where = self.guards["lr"], f" at step {self.t}"
        if self.granularity == "global":
            self.eta = guard(self.eta, float(self.eta - delta), where)
        elif self.granularity == "tensor":
            self.eta = [guard(e, float(e - d), where) for e, d in zip(self.eta, delta)]
        else:
            self.eta = [guard(e, (e - d).astype(e.dtype, copy=False), where) for e, d in zip(self.eta, delta)]
        return True

    def _follow_schedulers(self):
        """Compose with a scheduler attached to self.optimizer: a group lr moved from a to b scales that group's η
        by b/a (from 0: η restarts at b), then clips it (see the module docstring)."""
        now = [float(g["lr"]) for g in self.optimizer.param_groups]
        if now == self.group_lrs:
            return
        ratio = {}
        for gi, (g, a, b) in enumerate(zip(self.optimizer.param_groups, self.group_lrs, now)):
            for p in g["params"]:
                ratio[id(p)] = (b / a, None) if a != 0 else (None, b)
        per_param = [ratio[id(p)] for p in self.params]
        if self.granularity == "global":
            f0, r0 = per_param[0]
            if any((f is None) != (f0 is None) or (f is not None and not math.isclose(f, f0, rel_tol=1e-12))
                   or (f is None and r != r0) for f, r in per_param):
                raise ValueError("a scheduler moved the param groups' lrs by different factors "
                                 f"({self.group_lrs} -> {now}), but granularity 'global' has one η for all of "
                                 "them; use granularity 'tensor'")
            f, restart = per_param[0]
            self.eta = self._clip(float(restart) if f is None else float(self.eta * f))
        elif self.granularity == "tensor":
            self.eta = [self._clip(float(r) if f is None else float(e * f)) for e, (f, r) in zip(self.eta, per_param)]
        else:
            self.eta = [self._clip(xp_of(e).full_like(e, r) if f is None else (e * f).astype(e.dtype, copy=False))
                        for e, (f, r) in zip(self.eta, per_param)]
        self.group_lrs = now

    def adapted(self):
        """What adapts, as plain floats for logs and plots: η ("lr"; per tensor "lr/<i>", the mean for
        granularity "element"), any other adapted hyper-parameter, and what the wrapped optimizer adapts itself."""
        lr = self.lr_summary()
        out = {"lr": lr} if isinstance(lr, float) else {f"lr/{i}": v for i, v in enumerate(lr)}
        for n, v in getattr(self, "theta", {}).items():
            out.update({n: v} if isinstance(v, float) else {f"{n}/{i}": x for i, x in enumerate(v)})
        out.update(self.optimizer.adapted())
        return out

    def lr_summary(self):
        """η for the history: a float (global), or one float per tensor (the mean, for element)."""
        if self.granularity == "global":
            return float(self.eta)
        if self.granularity == "tensor":
            return list(self.eta)
        return [float(e.mean()) for e in self.eta]

    # ---- the pieces of a step -------------------------------------------------------------------------------
    def loss_of(self, closure, name="closure"):
        """closure() evaluated with the graph on: the scalar loss Tensor of the current batch. A ValueError if it
        calls backward() or returns something else (name: how the message calls it). Follows any scheduler
        attached to the optimizer first."""
        self._follow_schedulers()
        params = self.params
        saved = [p.grad for p in params]
        for p in params:  # .grad is ours to watch while closure() runs: it must not call backward()
            p.grad = None
        try:
            with enable_grad():
                loss = closure()
            called_backward = any(p.grad is not None for p in params)
        finally:
            for p, g in zip(params, saved):
                p.grad = g
        if called_backward:
            raise ValueError(f"{name}() called backward(): under a learning-rate method of tinygrad_lr.hyper the "
                             f"closure must return the loss without calling backward() (or zero_grad()); the method "
                             f"differentiates the loss itself, e.g. `def {name}(): return loss_fn(model(x), y)`")
        if not isinstance(loss, Tensor) or loss.data.size != 1:
            shape = loss.shape if isinstance(loss, Tensor) else type(loss).__name__
            raise ValueError(f"{name}() must return the scalar loss Tensor of the current batch, got {shape}")
        return loss

    def loss_and_grads(self, closure, create_graph=False):
        """(loss, grads) of the current batch, loss = closure(), or (loss, None) when either is not finite: then
        the whole step is skipped, counted and recorded, and neither the weights nor η move. create_graph: build
        the gradients with their graph (for HVPs)."""
        loss = self.loss_of(closure)
        grads = self.grads_of(loss, create_graph=create_graph)
        if self.finite(loss, *grads):
            return loss, grads
        self.skipped += 1
        self.record(loss, skipped=True)
        return loss, None

    def grads_of(self, loss, create_graph=False):
        """The gradient of the scalar Tensor loss w.r.t. every parameter (zeros where it does not depend on one);
        create_graph: keep them differentiable."""
        if not loss.requires_grad:
            raise ValueError("the loss does not depend on the optimizer's parameters (was it computed under no_grad?)")
        gs = grad(loss, self.params, create_graph=create_graph, retain_graph=create_graph, allow_unused=True)
        return [Tensor.zeros_like(p) if g is None else g for p, g in zip(self.params, gs)]

    def apply_step(self, grads):
        """(w, s) ← Φ(w, g, s, η) for every parameter, with this method's η; grads: one gradient g per
        parameter."""
        self.optimizer.apply_phi(grads, lrs=[self.eta_of(i) for i in range(len(self.params))])

    @staticmethod
    def finite(*tensors):
        """All entries finite? (A sum is non-finite iff an entry is, barring overflow, itself a red flag.)"""
        return all(bool(xp_of(t.data).isfinite(t.data.sum())) for t in tensors)

    def record(self, loss, hypergrad=None, skipped=False):
        """Append this step to self.history: step, lr (lr_summary()), the hypergradient hypergrad (per-tensor
        means for a list), the loss (a Tensor) as a float, and whether the step was skipped."""
        h = hypergrad
        if isinstance(h, list):
            h = [float(_host(x).mean()) for x in h]
        self.history.append({"step": self.t, "lr": self.lr_summary(), "hypergrad": h,
                             "loss": float(loss.item()), "skipped": skipped})

    def zero_grad(self, set_to_none=True):
        """The wrapped optimizer's zero_grad(set_to_none)."""
        self.optimizer.zero_grad(set_to_none)

    # ---- checkpoints ----------------------------------------------------------------------------------------
    def extra_state(self):
        """A subclass's own state for state_dict (a dict of plain data and arrays); empty here."""
        return {}

    def load_extra_state(self, state):
        """Restore a subclass's extra_state() from the loaded state dict `state`; nothing here."""

    def state_dict(self):
        """Everything needed to resume bit for bit: η, the step count, the history, the optimizer's
        state_dict(), and the subclass's extra_state()."""
        eta = self.eta if self.granularity != "element" else [_host(e).copy() for e in self.eta]
        return {"type": type(self).__name__, "granularity": self.granularity, "eta": eta, "t": self.t,
                "skipped": self.skipped, "history": list(self.history), "optimizer": self.optimizer.state_dict(),
                "group_lrs": list(self.group_lrs), "sign_warned": self.sign_warned, **self.extra_state()}

    def check_extra_state(self, state):
        """Raise ValueError if `state` holds extra state (extra_state()) that load_extra_state cannot take."""

    def load_state_dict(self, state):
        """Restore state_dict(): everything (the optimizer's part included) is checked first and only then
        committed, so a bad state dict raises and leaves the method and its optimizer as they were."""
        if not isinstance(state, dict) or state.get("type") != type(self).__name__:
            raise ValueError(f"load_state_dict: this is a {type(self).__name__}, the state dict is from a "
                             f"{state.get('type') if isinstance(state, dict) else type(state).__name__}")
        missing = [k for k in ("granularity", "eta", "t", "skipped", "optimizer") if k not in state]
        if missing:
            raise ValueError(f"load_state_dict: the state dict has no {', '.join(missing)}")
        if state["granularity"] != self.granularity:
            raise ValueError(f"load_state_dict: granularity {state['granularity']!r} in the state dict, "
                             f"{self.granularity!r} here")
        opt = self.optimizer._prepare_load(state["optimizer"])
        n = len(self.params)
        if self.granularity == "global":
            eta = float(state["eta"])
        elif len(state["eta"]) != n:
            raise ValueError(f"load_state_dict: {len(state['eta'])} learning rates in the state dict, {n} parameter "
                             "tensors here")
        elif self.granularity == "tensor":
            eta = [float(e) for e in state["eta"]]
        else:
            for i, (p, e) in enumerate(zip(self.params, state["eta"])):
                if np.shape(e) != p.shape:
                    raise ValueError(f"load_state_dict: η of parameter {i} has shape {np.shape(e)}, the parameter "
                                     f"{p.shape}")
            eta = [xp(p.device).asarray(np.asarray(e), dtype=p.dtype) for p, e in zip(self.params, state["eta"])]
        t, skipped = int(state["t"]), int(state["skipped"])
        history = [dict(h) for h in state.get("history", [])]
        group_lrs = state.get("group_lrs", [g.get("lr") for g in opt[1]])
        if len(group_lrs) != len(self.optimizer.param_groups):
            raise ValueError(f"load_state_dict: {len(group_lrs)} group learning rates in the state dict, "
                             f"{len(self.optimizer.param_groups)} param groups here")
        group_lrs = [float(v) for v in group_lrs]
        self.check_extra_state(state)
        # everything checked: commit
        self.optimizer._commit_load(*opt)
        self.eta, self.t, self.skipped, self.history, self.group_lrs = eta, t, skipped, history, group_lrs
        self.sign_warned = bool(state.get("sign_warned", False))
        self.load_extra_state(state)


def check_lr_bounds(lr_bounds):
    """lr_bounds as a (low, high) pair of floats or None, or a ValueError saying what is wrong with it."""
    return check_bounds(lr_bounds, "lr")


def xp_of(arr):
    return np if isinstance(arr, (float, int)) else xp(device_of(arr))


def _host(a):
    return np.asarray(a) if isinstance(a, (float, int)) else to_host(a)

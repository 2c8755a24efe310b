r"""One tangent mechanism for every learning-rate hypergradient.

For the composite state x = (w, s) of all parameters and their optimizer states, the tangent z = dx/dη obeys

    z_{t+1} = mu·A_t z_t + B_t,   A_t = ∂Φ/∂(w, s) (with g = ∇ℓ(w), so dg = H·dw),   B_t = ∂Φ/∂η.

Both terms are one Jacobian-vector product of Φ at (w_t, g_t, s_t, η_t) in the direction
(mu·z_w, mu·H z_w, mu·z_s, 1), pushed forward (tinygrad_lr.jvp) through the graph of whatever Φ the optimizer
defines; an op without a forward rule falls back to the double-VJP trick. H z_w is one Hessian-vector product
of the training loss by double backprop. Nothing here knows which optimizer it is differentiating.

The same holds for any float hyper-parameter θ of Φ (momentum, β1, β2, weight decay, ε, ...): z = d(w, s)/dθ
obeys the same recursion with B_t = ∂Φ/∂θ, so adapting θ is the same JVP with θ seeded instead of η, one tangent
(and one HVP per step when mu > 0) per adapted hyper-parameter.

The hypergradient is h_t = ∇E(w_t)·z_t (E: the training loss on the current batch, or a validation loss)
and η_t = η_{t-1} - β·h_t; the step then uses η_t. mu = 0 gives the first-order method (Baydin, Cornish, Martínez
Rubio, Schmidt & Wood 2018, "Online learning rate adaptation with hypergradient descent", arXiv:1703.04782: for
SGD, η += β·g_t·g_{t-1}); mu = 1 is RT-HPO (Majumder, Donini & Chaudhari 2019, "Learning the learning rate for
gradient descent by gradient descent", AutoML workshop at ICML 2019), after the forward-mode hypergradient of
Franceschi, Donini, Frasconi & Pontil (2017), "Forward and reverse gradient-based hyperparameter optimization",
arXiv:1703.01785.
"""
import math

import numpy as np

from ..autograd import grad, jvp
from ..backend import device_of, xp
from ..nn import frozen_running_stats
from ..tensor import Tensor
from ..optim.optimizer import get_hyper, has_hyper, set_hyper
from ..optim.guards import Guard
from .base import LRMethod, check_lr_bounds

# The hyper-parameters a method can adapt (when the optimizer's param groups have them), and the bounds each gets
# unless told otherwise: a β or a momentum stays in [0, 1), a weight decay, ε or lr_decay >= 0 (η: lr_bounds).
ADAPTABLE = ("lr", "momentum", "dampening", "weight_decay", "beta1", "beta2", "eps", "alpha", "rho", "lr_decay")
DEFAULT_BOUNDS = {"momentum": (0.0, 0.9999), "dampening": (0.0, 1.0), "beta1": (0.0, 0.9999),
                  "beta2": (0.0, 0.9999), "alpha": (0.0, 0.9999), "rho": (0.0, 1.0), "weight_decay": (0.0, None),
                  "eps": (1e-12, None), "lr_decay": (0.0, None)}


def _jvps(outs, ins, directions):
    """For each direction (a dict input key -> tangent Tensor, missing = 0), the JVP of every output of Φ, pushed
    forward (tinygrad_lr.jvp) through the graph that apply_phi recorded. Returns one dict (output key -> Tensor)
    per direction."""
    out_keys, in_keys = list(outs), list(ins)
    res = []
    for d in directions:
        jv = jvp([outs[k] for k in out_keys], [ins[k] for k in in_keys], [d.get(k) for k in in_keys])
        res.append({k: j.detach() for k, j in zip(out_keys, jv)})
    return res


def _name(i):
    """A tangent's owner as a string key: the parameter index, or "group<j>" for the state of param group j."""
    return f"group{i[1]}" if isinstance(i, tuple) else str(i)


def _host_mean(x):
    return float(np.mean(x)) if not hasattr(x, "mean") else float(x.mean())


def _dot(a, b):
    return float(xp(device_of(a)).vdot(a.reshape(-1), b.reshape(-1)))


class Hypergradient(LRMethod):
    """η adapted online by its hypergradient (see the module docstring).

    Drive it like an optimizer: `loss = h.step(closure)` with closure() returning the training loss Tensor of
    the current batch. `val_closure()` (optional) returns a validation loss: then E is the validation loss
    ("Val"), else the training loss ("Train"). granularity: "global" (one η), "tensor" (one η per parameter
    tensor; with mu > 0 that is one tangent, hence one HVP, per tensor), "element" (one η per entry,
    first-order only; assumes an elementwise Φ, true of every optimizer in tinygrad_lr.optim).

    hyperparams: which hyper-parameters of the optimizer's param groups to adapt, η ("lr") by default; any of
    "momentum", "dampening", "weight_decay", "beta1", "beta2" (the entries of "betas"), "eps", "alpha", "rho",
    "lr_decay" that the optimizer has, in any combination. Each gets its own tangent (one more HVP per step when
    mu > 0), its own hyper_lr (a float for all, or a dict by name) and bounds (`bounds={"momentum": (0, 0.99)}`;
    defaults: β, momentum, α in [0, 0.9999], dampening and ρ in [0, 1], weight decay, ε, lr_decay >= 0; η:
    lr_bounds). The current value of each lives in optimizer.param_groups[k][name] (β: in "betas"), as torch
    users expect; h.history records it, and "hypergrad" there is a dict by name unless only η is adapted.

    Args:
        optimizer: the optimizer to wrap (any of tinygrad_lr.optim); its lr is the initial η.
        hyper_lr: β in η_t = η_{t-1} - β·h_t (a float, or a dict by hyper-parameter name).
        mu: 0 (first order, FirstOrder) to 1 (the full tangent recursion, RTHPO); values between damp A_t.
        granularity: "global", "tensor" or "element" (see above).
        val_closure: None (E = the training loss), or a function returning a validation loss Tensor.
        lr_bounds: (low, high) for η, either may be None; (0, None) keeps η >= 0.
        hyperparams: the names of the hyper-parameters to adapt (see above).
        bounds: {name: (low, high)} for the adapted hyper-parameters ("lr": the same as lr_bounds).
    """

    def __init__(self, optimizer, hyper_lr, mu=0.0, granularity="global", val_closure=None, lr_bounds=None,
                 hyperparams=("lr",), bounds=None):
        bounds = dict(bounds or {})
        if "lr" in bounds:
            if lr_bounds is not None and check_lr_bounds(lr_bounds) != check_lr_bounds(bounds["lr"]):
                raise ValueError(f"lr_bounds {lr_bounds!r} and bounds['lr'] {bounds['lr']!r} disagree; give one")
            lr_bounds = bounds["lr"]
        super().__init__(optimizer, granularity, lr_bounds)
        if not 0.0 <= mu <= 1.0:
            raise ValueError(f"mu must be in [0, 1], got {mu}")
        if granularity == "element" and mu > 0:
            n = sum(p.numel() for p in self.params)
            raise ValueError(f"granularity 'element' is first-order only (mu = 0): with mu = {mu} every one of the "
                             f"{n} learning rates would need its own tangent (a {n} x {n} Jacobian); use "
                             "granularity 'global' or 'tensor'")
        self.hyperparams = self._check_hyperparams(hyperparams, granularity)
        self.hyper_lr = self._check_hyper_lr(hyper_lr)
        unknown = sorted(set(bounds) - set(self.hyperparams))
        if unknown:
            raise ValueError(f"bounds for {unknown}, which are not adapted (hyperparams={list(self.hyperparams)})")
        self.mu, self.val_closure = float(mu), val_closure
        # θ for every adapted hyper-parameter but η (which LRMethod keeps): a float, or one per parameter tensor,
        # each with its guard (bounds, growth cap, non-finite refusal, sign warning: optim/guards.py)
        self.theta = {}
        for n in (n for n in self.hyperparams if n != "lr"):
            self.guards[n] = Guard(n, bounds.get(n, DEFAULT_BOUNDS.get(n)),
                                   hint=f"Pass bounds={{{n!r}: (low, high)}} to keep it in range")
            vals = [float(get_hyper(g, n)) for g in self.groups]
            if granularity == "global" and len(set(vals)) > 1:
                raise ValueError(f"granularity 'global' adapts one {n}, but the param groups have {sorted(set(vals))}")
            self.theta[n] = self._clip_theta(n, vals[0]) if granularity == "global" else \
                [self._clip_theta(n, v) for v in vals]
            self._publish(n)
        # one tangent per adapted hyper-parameter; per tensor too for granularity "tensor" with mu > 0 (each η_k
        # then moves every block); with mu = 0 θ_k only moves block k, so one tangent serves all k
        per = len(self.params) if (granularity == "tensor" and mu > 0) else 1
        self.tangents = [(n, k if per > 1 else None) for n in self.hyperparams for k in range(per)]
        self.n_tangents = len(self.tangents)
        self.z = None  # per tangent: {(param index | ("group", j), None | state key): Tensor}

    def _check_hyperparams(self, hyperparams, granularity):
        names = (hyperparams,) if isinstance(hyperparams, str) else tuple(hyperparams)
        if not names or len(set(names)) != len(names):
            raise ValueError(f"hyperparams must name at least one hyper-parameter, each once; got {hyperparams!r}")
        group = self.optimizer.param_groups[0]
        have = [n for n in ADAPTABLE if n == "lr" or has_hyper(group, n)]
        for n in names:
            if n not in ADAPTABLE or n not in have:
                raise ValueError(f"cannot adapt {n!r} of {type(self.optimizer).__name__}: its adaptable "
                                 f"hyper-parameters are {have}")
            if n != "lr" and any(isinstance(get_hyper(g, n), bool) or not isinstance(get_hyper(g, n), (int, float))
                                 for g in self.groups):
                raise ValueError(f"cannot adapt {n!r}: it is not a float in every param group")
        if granularity == "element" and names != ("lr",):
            raise ValueError(f"granularity 'element' adapts the learning rate only, got hyperparams={list(names)}")
        return tuple(sorted(names, key=lambda n: n != "lr"))  # η first

    def _check_hyper_lr(self, hyper_lr):
        if isinstance(hyper_lr, dict):
            missing = [n for n in self.hyperparams if n not in hyper_lr]
            extra = sorted(set(hyper_lr) - set(self.hyperparams))
            if missing or extra:
                raise ValueError(f"hyper_lr: expected one value per adapted hyper-parameter {list(self.hyperparams)}"
                                 + (f"; missing {missing}" if missing else "") + (f"; not adapted {extra}" if extra else ""))
            out = {n: hyper_lr[n] for n in self.hyperparams}
        else:
            out = {n: hyper_lr for n in self.hyperparams}
        for n, v in out.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise ValueError(f"hyper_lr must be >= 0, got {v!r}" + (f" for {n}" if len(out) > 1 else ""))
        return out if len(out) > 1 or isinstance(hyper_lr, dict) else hyper_lr

    def _hlr(self, name):
        return self.hyper_lr[name] if isinstance(self.hyper_lr, dict) else self.hyper_lr

    # ---- the adapted hyper-parameters other than η ------------------------------------------------------------
    def _clip_theta(self, name, v):
        return self.guards[name].clip(v)

    def _publish(self, name):
        """Write θ where a PyTorch user reads it: optimizer.param_groups[k][name] (β: the betas tuple); at
        granularity "tensor" in the groups that hold one parameter (a group of several keeps its own value, and
        self.theta has each tensor's)."""
        vals = self.theta[name]
        for group in self.optimizer.param_groups:
            idx = [i for i, p in enumerate(self.params) if any(p is q for q in group["params"])]
            if isinstance(vals, float):
                set_hyper(group, name, vals)
            elif len(idx) == 1:
                set_hyper(group, name, vals[idx[0]])

    def _move_theta(self, name, delta):
        """θ ← guard(θ - delta): its bounds and growth cap; skipped (and counted) unless delta is finite."""
        deltas = delta if isinstance(delta, list) else [delta]
        if not all(math.isfinite(d) for d in deltas):
            self.skipped += 1
            return
        guard, where = self.guards[name], f" at step {self.t}"
        if isinstance(self.theta[name], float):
            self.theta[name] = guard(self.theta[name], self.theta[name] - delta, where)
        else:
            self.theta[name] = [guard(v, v - d, where) for v, d in zip(self.theta[name], delta)]
        self._publish(name)

    def theta_of(self, name, i, requires_grad=False):
        """θ (or η) of parameter i as a Tensor in the parameter's dtype and device."""
        if name == "lr":
            return self.eta_of(i, requires_grad)
        p, v = self.params[i], self.theta[name]
        return Tensor.wrap(xp(p.device).asarray(v if isinstance(v, float) else v[i], dtype=p.dtype), p.device,
                           requires_grad)

    # ---- hypergradients and the step --------------------------------------------------------------------------
    def hypergradient(self, gE):
        """h = ∇E·z for each adapted hyper-parameter, reduced per value: a float (global), a list of floats (tensor),
        a list of arrays (element). A dict name -> h when more than η is adapted, else h itself."""
        out = {}
        for (name, slot), z in zip(self.tangents, self.z):
            if self.granularity == "element":
                out[name] = [e.data * z[(i, None)].data for i, e in enumerate(gE)]
                continue
            dots = [_dot(e.data, z[(i, None)].data) for i, e in enumerate(gE)]
            if self.granularity == "global":
                out[name] = float(sum(dots))
            elif slot is None:  # mu = 0: θ_k only moves block k, so block k's dot is its hypergradient
                out[name] = [float(d) for d in dots]
            else:
                out.setdefault(name, [0.0] * len(self.params))[slot] = float(sum(dots))
        return out if self.hyperparams != ("lr",) else out["lr"]

    def step(self, closure):
        """One step: closure() returns the training loss Tensor of the current batch (without calling backward);
        η (and any adapted θ) moves by its hypergradient, then Φ takes the step and the tangents advance.
        Returns the loss."""
        loss, grads = self.loss_and_grads(closure, create_graph=self.mu > 0 or self.optimizer.needs_graph)
        if grads is None:
            return loss
        h = None
        if self.z is not None:
            gE = grads if self.val_closure is None else self.grads_of(self._val_loss())
            h = self.hypergradient(gE)
            for name, hn in (h.items() if isinstance(h, dict) else [("lr", h)]):
                scaled = [self._hlr(name) * x for x in hn] if isinstance(hn, list) else self._hlr(name) * hn
                if name == "lr":
                    self._move_eta(scaled)
                else:
                    self._move_theta(name, scaled)
        self.optimizer.prepare(self.params, grads)
        self._tangent_step(grads, loss)
        self.record(loss, h)
        self.t += 1
        return loss

    def record(self, loss, hypergrad=None, skipped=False):
        if not isinstance(hypergrad, dict):
            super().record(loss, hypergrad, skipped)
        else:
            super().record(loss, None, skipped)
            self.history[-1]["hypergrad"] = {n: ([float(_host_mean(x)) for x in v] if isinstance(v, list) else v)
                                             for n, v in hypergrad.items()}
        for n, v in self.theta.items():
            self.history[-1][n] = v if isinstance(v, float) else list(v)

    def _val_loss(self):
        """E from val_closure(), with BatchNorm's running statistics frozen: a validation loss must not move them."""
        with frozen_running_stats():
            return self.loss_of(self.val_closure, "val_closure")

    def _tangent_step(self, grads, loss=None):
        """One evaluation of Φ takes the step (w, s) ← Φ(w, g, s, η, θ) and, by JVPs through its graph, gives the
        new tangents z."""
        n_par = len(self.params)
        first = self.z is None or self.mu == 0  # then z's direction is zero: only the hyper-parameters vary
        # H z_w (one HVP per tangent) at the weights the gradients were taken at, i.e. before the step
        hzs = [] if first else [grad(grads, self.params, [z[(i, None)] for i in range(n_par)], retain_graph=True,
                                     allow_unused=True) for z in self.z]
        # the adapted values as graph leaves, one per value: (name, None) global, (name, i) per tensor
        leaves = {}

        def leaf(name, i):
            key = (name, None if self.granularity == "global" else i)
            if key not in leaves:
                leaves[key] = self.theta_of(name, i, requires_grad=True)
            return leaves[key]
        lrs = [leaf("lr", i) if "lr" in self.hyperparams else self.eta_of(i) for i in range(n_par)]
        hypers = None
        if self.theta:
            hypers = [{n: leaf(n, i) for n in self.theta} for i in range(n_par)]
            if self.granularity == "global":  # one dict shared by all: Φ may couple the group's parameters
                hypers = [hypers[0]] * n_par
        record = self.optimizer.apply_phi(grads, lrs=lrs, graph=True, leaves=not first, hypers=hypers,
                                          loss=None if loss is None else loss.detach())
        # Φ's inputs and outputs by key: ("hp", name, slot) per adapted value; ("w", i), ("g", i), ("s", i, k),
        # ("c", j, k) (the state of param group j); (i, None) = w'_i, (i, k) = s'_i[k] and (("group", j), k) = c'_j[k]
        ins = {("hp",) + key: v for key, v in leaves.items()}
        outs = {}
        for i, rec in record.items():
            if isinstance(i, tuple):  # ("group", j): (c, c')
                (c, c2), j = rec, i[1]
                outs.update({(i, k): v for k, v in c2.items() if isinstance(v, Tensor)})
                if not first:
                    ins.update({("c", j, k): v for k, v in c.items() if isinstance(v, Tensor) and v.requires_grad})
                continue
            (w, g, s), (w2, s2) = rec
            outs[(i, None)] = w2
            outs.update({(i, k): v for k, v in s2.items() if isinstance(v, Tensor)})
            if not first:
                ins[("w", i)], ins[("g", i)] = w, g
                ins.update({("s", i, k): v for k, v in s.items() if isinstance(v, Tensor) and v.requires_grad})
        directions = []
        for t, (name, slot) in enumerate(self.tangents):
            # B_t: the tangent's hyper-parameter moves by 1 (all its values at once, except per-tensor RT-HPO:
            # one tangent per value)
            d = {("hp", n, k): Tensor.ones_like(v) for (n, k), v in leaves.items()
                 if n == name and (slot is None or k == slot)}
            if not first:  # mu·A_t z_t: w moves by z_w, g by H z_w, the state by z_s
                for (i, key), zi in self.z[t].items():
                    d[("w", i) if key is None else ("c", i[1], key) if isinstance(i, tuple) else ("s", i, key)] = \
                        self.mu * zi
                d.update({("g", i): self.mu * h.detach() for i, h in enumerate(hzs[t]) if h is not None})
            directions.append(d)
        new_z = _jvps(outs, ins, directions)
        # with mu = 0 z is rebuilt from scratch every step and h is checked before use: no need to look
        if self.mu == 0 or all(self.finite(*z.values()) for z in new_z):
            self.z = new_z
        else:  # never let a non-finite tangent poison later hypergradients: restart it
            self.skipped += 1
            self.z = [{k: Tensor.zeros_like(v) for k, v in z.items()} for z in new_z]

    def extra_state(self):
        out = {"hyperparams": list(self.hyperparams), "theta": {n: (v if isinstance(v, float) else list(v))
                                                                for n, v in self.theta.items()}}
        if self.z is None:
            return dict(out, z=None)
        return dict(out, z=[{f"{_name(i)}/{'w' if k is None else k}": v.numpy().copy() for (i, k), v in z.items()}
                            for z in self.z])

    def check_extra_state(self, state):
        names = tuple(state.get("hyperparams", ("lr",)))
        if sorted(names) != sorted(self.hyperparams):
            raise ValueError(f"load_state_dict: the state dict adapts {list(names)}, this method "
                             f"{list(self.hyperparams)}")
        for n, v in (state.get("theta") or {}).items():
            if isinstance(self.theta[n], list) and len(v) != len(self.params):
                raise ValueError(f"load_state_dict: {len(v)} values of {n} in the state dict, {len(self.params)} "
                                 "parameter tensors here")
        zs = state.get("z")
        if zs is None:
            return
        if len(zs) != self.n_tangents:
            raise ValueError(f"load_state_dict: {len(zs)} tangents in the state dict, {self.n_tangents} here")
        for zd in zs:
            for name, arr in zd.items():
                i, _, k = name.partition("/")
                if i.startswith("group") and i[5:].isdigit() and int(i[5:]) < len(self.optimizer.param_groups) and k:
                    continue
                if not i.isdigit() or int(i) >= len(self.params) or not k:
                    raise ValueError(f"load_state_dict: tangent entry {name!r} names no parameter of the "
                                     f"{len(self.params)} here")
                if k == "w" and np.shape(arr) != self.params[int(i)].shape:
                    raise ValueError(f"load_state_dict: tangent of parameter {i} has shape {np.shape(arr)}, the "
                                     f"parameter {self.params[int(i)].shape}")

    def load_extra_state(self, state):
        for n, v in (state.get("theta") or {}).items():
            self.theta[n] = float(v) if isinstance(self.theta[n], float) else [float(x) for x in v]
            self._publish(n)
        if state.get("z") is None:
            self.z = None
            return
        self.z = []
        for zd in state["z"]:
            z = {}
            for name, arr in zd.items():
                i, k = name.split("/", 1)
                p = self.params[0 if i.startswith("group") else int(i)]
                key = ("group", int(i[5:])) if i.startswith("group") else int(i)
                z[(key, None if k == "w" and not isinstance(key, tuple) else k)] = \
                    Tensor(arr, device=p.device, dtype=p.dtype)
            self.z.append(z)


class FirstOrder(Hypergradient):
    """mu = 0: z_{t+1} = B_t = ∂Φ/∂η. With E the training loss this is Baydin et al.'s hypergradient descent
    (for SGD: η_t = η_{t-1} + β·g_t·g_{t-1}; for Adam: AdamHD); with val_closure, First-order (Val).

    The arguments are Hypergradient's but mu: optimizer (the optimizer to wrap), hyper_lr (β), granularity,
    val_closure, lr_bounds, hyperparams and bounds."""

    def __init__(self, optimizer, hyper_lr, granularity="global", val_closure=None, lr_bounds=None,
                 hyperparams=("lr",), bounds=None):
        super().__init__(optimizer, hyper_lr, 0.0, granularity, val_closure, lr_bounds, hyperparams, bounds)


class RTHPO(Hypergradient):
    """mu = 1: the full tangent recursion z_{t+1} = A_t z_t + B_t, one HVP per step (RT-HPO, Majumder, Donini &
    Chaudhari 2019).

    The arguments are Hypergradient's but mu: optimizer (the optimizer to wrap), hyper_lr (β), granularity
    ("element" is first-order only), val_closure, lr_bounds, hyperparams and bounds."""

    def __init__(self, optimizer, hyper_lr, granularity="global", val_closure=None, lr_bounds=None,
                 hyperparams=("lr",), bounds=None):
        super().__init__(optimizer, hyper_lr, 1.0, granularity, val_closure, lr_bounds, hyperparams, bounds)


r"""Learning-rate-free and self-tuning optimizers, each ported from its authors' reference implementation and
written once as an update map Φ in Tensor ops (so `step()` is fast and the same Φ can be differentiated by the
learning-rate methods of `tinygrad_lr.hyper` wherever it is differentiable):

    SGDScheduleFree, AdamWScheduleFree    Defazio et al. (2024)      schedulefree (facebookresearch/schedule_free)
    Mechanic                              Cutkosky, Defazio & Mehta (2023)   mechanic-pytorch (optimizedlearning/mechanic)
    COCOB                                 Orabona & Tommasi (2017)   parameterfree (bremen79/parameterfree)
    SPS (= Sps)                           Loizou et al. (2021)       sps (IssamLaradji/sps)
    WNGrad                                Wu, Ward & Bottou (2018)   the Caffe2 Wngrad operator (pytorch/pytorch)
    L4Adam, L4Mom                         Rolinek & Martius (2018)   l4-optimizer (martius-lab/l4-optimizer)

Where a reference keeps one quantity for all parameters (SPS's step size, Mechanic's s, L4's minimum loss), it is
kept here per param group (with a single param group, which is how these references are used, this is exactly the
reference). Where a reference updates in place, the same arithmetic is written out of place. Every class keeps a
group hyper-parameter `lr` (the one the hypergradient methods adapt); where the reference has no learning rate it
is a multiplier of the step whose default 1.0 reproduces the reference exactly.
"""
import math

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_betas, check_nonneg


def _const(value, like):
    """A 0-d (or 1-d for a sequence) constant with the dtype and device of `like`."""
    return Tensor(np.asarray(value, dtype=like.dtype), device=like.device)


def _copy(w):
    return Tensor(w.numpy().copy(), device=w.device)


def _lerp(start, end, weight):
    return start + weight * (end - start)


def _check_positive(name, value):
    if not (isinstance(value, (int, float)) and value > 0):
        raise ValueError(f"invalid {name}: {value!r} (must be > 0)")


# ---- Schedule-Free -----------------------------------------------------------------------------------------------
class _ScheduleFree(Optimizer):
    """The y/x/z bookkeeping shared by SGDScheduleFree and AdamWScheduleFree: the parameters hold y in train mode
    and x in eval mode; the state holds z."""

    def _beta(self, group):
        raise NotImplementedError

    def check_group(self, group):
        check_nonneg(group, "weight_decay")
        ws = group["warmup_steps"]
        if isinstance(ws, bool) or not isinstance(ws, (int, np.integer)) or ws < 0:
            raise ValueError(f"invalid warmup_steps: {ws!r} (must be an int >= 0)")
        for n in ("r", "weight_lr_power"):
            if not isinstance(group[n], (int, float)) or group[n] != group[n]:
                raise ValueError(f"invalid {n}: {group[n]!r} (must be a number)")

    def init_state(self, w, group):
        st = {"z": _copy(w)}
        # the reference keeps k, weight_sum and lr_max per param group; a copy per parameter keeps Φ per parameter
        # (and differentiable in a per-tensor lr). They are equal while every parameter gets a gradient every step.
        st["weight_sum"] = _const(0.0, w)
        st["lr_max"] = _const(-1.0, w)
        return st

    def _average_weight(self, state, lr, group, step):
        """(scheduled lr, c_{k+1}, lr_max, weight_sum) as the reference computes them at step k + 1."""
        if not group["train_mode"]:
            raise RuntimeError("Optimizer was not in train mode when step is called. Please insert .train() and "
                               ".eval() calls on the optimizer. See documentation for details.")
        k = step - 1
        sched = (k + 1) / group["warmup_steps"] if k < group["warmup_steps"] else 1.0
        lr = lr * sched
        group["scheduled_lr"] = float(lr.item() if isinstance(lr, Tensor) else lr)  # for logging, as the reference
        lr_max = state["lr_max"].maximum(lr)
        weight = ((k + 1) ** group["r"]) * (lr_max ** group["weight_lr_power"])
        weight_sum = state["weight_sum"] + weight
        ckp1 = 0.0 if weight_sum.item() == 0 else weight / weight_sum  # the reference's ZeroDivisionError branch
        return lr, ckp1, lr_max, weight_sum

    def _switch(self, to_train):
        for group in self.param_groups:
            if group["train_mode"] != to_train:
                beta = self._beta(group)
                weight = 1 - beta if to_train else 1 - 1 / beta
                for p in group["params"]:
                    st = self.state.get(p)
                    if st is not None and "z" in st:
                        p.data = _lerp(p.data, st["z"].data.astype(p.dtype, copy=False), weight)
                group["train_mode"] = to_train

    def train(self):
        """Set the parameters to y = (1 - β)·z + β·x (the points gradients are taken at); a no-op in train mode."""
        self._switch(True)
        return self

    def adapted(self):
        """The warm-up-scheduled lr, the largest lr so far and the sum of the averaging weights (equal for every
        parameter of a group; "/<k>" per group when there are several)."""
        out, many = {}, len(self.param_groups) > 1
        for k, group in enumerate(self.param_groups):
            st = next((self.state[p] for p in group["params"] if p in self.state), None)
            if st is None:
                continue
            sfx = f"/{k}" if many else ""
            out.update({f"scheduled_lr{sfx}": float(group.get("scheduled_lr", group["lr"])),
                        f"lr_max{sfx}": float(st["lr_max"].item()), f"weight_sum{sfx}": float(st["weight_sum"].item())})
        return out

    def eval(self):
        """Set the parameters to x = (y - (1 - β)·z)/β (the average, where to evaluate and save); a no-op in eval
        mode."""
        self._switch(False)
        return self


class SGDScheduleFree(_ScheduleFree):
    r"""Schedule-Free SGD (Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky 2024, "The Road Less Scheduled",
    arXiv:2405.15682), ported from `schedulefree.SGDScheduleFree` (facebookresearch/schedule_free,
    schedulefree/sgd_schedulefree.py, release 1.4.1 and main). With k = step - 1 and β = momentum:

        η_k = lr·min(1, (k + 1)/warmup_steps)            (linear warmup; none when warmup_steps = 0)
        η_max = max(η_max, η_k),   c_k = (k + 1)^r · η_max^weight_lr_power,   W = W + c_k,   c = c_k / W
        g = g + λ·y                                        (weight_decay λ, at y)
        y' = y + c·(z - y) + η_k·(β(1 - c) - 1)·g          (= (1 - β)·z' + β·x' with x' = (1 - c)·x + c·z')
        z' = z - η_k·g

    (c = 0 when W = 0.) The parameters hold y during training; `train()` and `eval()` switch them between y and
    x = (y - (1 - β)·z)/β exactly as the reference (y ← y + (1 - 1/β)(z - y) and back with weight 1 - β), and as
    in the reference the optimizer starts in eval mode: call `.train()` before the first step, or step() raises.

    state_dict(): per parameter z, weight_sum (W) and lr_max (η_max), the step counter (k + 1); per param group its
    hyper-parameters, `train_mode` and `scheduled_lr`. The parameters themselves (the model's state_dict) hold y in
    train mode and x in eval mode, and `train_mode` records which, so a checkpoint taken in either mode restores
    exactly; as the reference recommends, call `.eval()` before saving so that the saved model is the average x.
    `foreach` is accepted for signature compatibility and ignored.

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: the base learning rate (before warm-up).
        momentum: β, the interpolation between z and x.
        weight_decay: λ, at y.
        warmup_steps: the length of the linear warm-up (0: none).
        r: the power of (k + 1) in the averaging weights c_k.
        weight_lr_power: the power of η_max in c_k.
        foreach: accepted and ignored.
    """

    def __init__(self, params, lr=1.0, momentum=0.9, weight_decay=0, warmup_steps=0, r=0.0, weight_lr_power=2,
                 foreach=None):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, warmup_steps=warmup_steps,
                                      r=r, weight_lr_power=weight_lr_power, train_mode=False, scheduled_lr=0.0))

    def check_group(self, group):
        super().check_group(group)
        if not 0 < group["momentum"] < 1:
            raise ValueError(f"Momentum must be between 0 and 1 exclusive: {group['momentum']}")

    def _beta(self, group):
        return group["momentum"]

    def phi(self, w, g, state, lr, group, step):
        lr, ckp1, lr_max, weight_sum = self._average_weight(state, lr, group, step)
        mom, wd, z = group["momentum"], group["weight_decay"], state["z"]
        if wd != 0:
            g = g + wd * w
        y = _lerp(w, z, ckp1) + lr * (mom * (1 - ckp1) - 1) * g
        return y, {"z": z - lr * g, "weight_sum": weight_sum, "lr_max": lr_max}


class AdamWScheduleFree(_ScheduleFree):
    r"""Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled", arXiv:2405.15682), ported from
    `schedulefree.AdamWScheduleFree` (facebookresearch/schedule_free, schedulefree/adamw_schedulefree.py; the
    `inner_momentum` argument is on main since 2026, after release 1.4.1, whose arithmetic is inner_momentum = 0).
    With k = step - 1, η_k, c as in SGDScheduleFree and β1 = betas[0] in the interpolation:

        v = β2·v + (1 - β2)·g²,     d = √(v / (1 - β2^{k+1})) + ε
        ĝ = g / d                   (inner_momentum μ > 0:  m = μ·m + (1 - μ)·g,  ĝ = m / (1 - μ^{k+1}) / d)
        ĝ = ĝ + λ·y                 (weight_decay λ, decoupled, at y)
        y' = y + c·(z - y) + η_k·(β1(1 - c) - 1)·ĝ,      z' = z - η_k·ĝ

    train()/eval(), the initial eval mode and the checkpoint contents are those of SGDScheduleFree (with β = β1);
    the state also holds exp_avg_sq (v) and, when inner_momentum > 0, exp_avg (m).

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: the base learning rate (before warm-up).
        betas: (β1, β2): β1 interpolates between z and x, β2 decays v.
        eps: ε.
        weight_decay: λ, decoupled, at y.
        warmup_steps, r, weight_lr_power: as SGDScheduleFree's.
        inner_momentum: μ (0: none, as release 1.4.1).
        foreach: accepted and ignored.
    """

    def __init__(self, params, lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, warmup_steps=0, r=0.0,
                 weight_lr_power=2.0, inner_momentum=0.0, foreach=None):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      warmup_steps=warmup_steps, r=r, weight_lr_power=weight_lr_power,
                                      inner_momentum=inner_momentum, train_mode=False, scheduled_lr=0.0))

    def check_group(self, group):
        super().check_group(group)
        check_nonneg(group, "eps")
        check_betas(group)
        if group["betas"][0] <= 0:
            raise ValueError(f"invalid betas[0]: {group['betas'][0]} (must be in (0, 1): x = (y - (1 - β1)·z)/β1)")
        check_betas(group, "inner_momentum")

    def _beta(self, group):
        return group["betas"][0]

    def init_state(self, w, group):
        st = super().init_state(w, group)
        st["exp_avg_sq"] = w * 0.0
        if group["inner_momentum"] != 0:
            st["exp_avg"] = w * 0.0
        return st

    def phi(self, w, g, state, lr, group, step):
        lr, ckp1, lr_max, weight_sum = self._average_weight(state, lr, group, step)
        (b1, b2), eps, decay, mu = group["betas"], group["eps"], group["weight_decay"], group["inner_momentum"]
        k, z = step - 1, state["z"]
        new = {"weight_sum": weight_sum, "lr_max": lr_max}
        v = new["exp_avg_sq"] = b2 * state["exp_avg_sq"] + (1 - b2) * (g * g)
        denom = (v / (1 - b2 ** (k + 1))).sqrt() + eps
        if mu != 0:
            m = new["exp_avg"] = mu * state["exp_avg"] + (1 - mu) * g
            gn = m / (1 - mu ** (k + 1)) / denom
        else:
            gn = g / denom
        if decay != 0:
            gn = gn + decay * w
        new["z"] = z - lr * gn
        return _lerp(w, z, ckp1) + lr * (b1 * (1 - ckp1) - 1) * gn, new


# ---- Mechanic ----------------------------------------------------------------------------------------------------
class Mechanic(Optimizer):
    r"""Mechanic (Cutkosky, Defazio & Mehta 2023, "Mechanic: a learning rate tuner", arXiv:2306.00144): wraps an
    optimizer instance as `mechanic_pytorch.mechanize` wraps an optimizer class, ported from mechanic-pytorch 0.0.1
    (optimizedlearning/mechanic, src/mechanic_pytorch/mechanic.py). With x_ref the parameters before the first
    step, n = len(betas), the base optimizer's step x → x_b (its own Φ, state and lr), and Σs = sum of the n scales:

        Δ = (x - x_ref)/(Σs + ε)                      (store_delta=True: Δ is kept in the state instead)
        u = x_b - x,   ‖g‖ = √(Σ_p ‖g_p‖²),   ‖x_b‖ = √(Σ_p ‖x_b,p‖²)
        h = Σ_p ⟨Δ_p, g_p + λ·x_b,p·Σs·‖g‖/(‖x_b‖ + ε)⟩          (λ = s_decay)
        Δ = Δ + u
        m = max(β·m, |h|),   v = β²·v + h²,   r = max(β·r - s·h, 0)       (per β of betas; m_0 = 1e-6)
        s = (m·s_init/n + r)/(√v + ε),     x' = x_ref + Δ·max(Σs, 0)

    The base optimizer's Φ runs inside this one (same gradients, same lr, same state entries); Mechanic adds
    `mechanic_ref` (and `mechanic_delta`) to each parameter's state and s, m, v, r to the group state, next to the
    base's own group state (keys "base/<name>"). Do not step the wrapped instance on its own afterwards.

    Differences from the reference: it keeps one s for all parameters of all groups; here s is one per param group
    (with a single group this is exactly the reference); and the reference makes its tuner state (s, m, v, r) with
    torch.tensor(...), i.e. in torch's default dtype (float32 unless changed), where here it has the parameters'
    dtype (so it equals the reference run with torch.set_default_dtype(torch.float64)).

    Args:
        base_optimizer: the optimizer instance to tune (its Φ, state and lr are used inside this one).
        s_decay: λ.
        betas: the β of each of the n scales s.
        s_init: the initial total scale.
        eps: ε.
        store_delta: keep Δ in the state instead of recomputing it from x_ref.
    """

    def __init__(self, base_optimizer, s_decay=0.01, betas=(0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999),
                 s_init=1e-8, eps=1e-8, store_delta=False):
        if not isinstance(base_optimizer, Optimizer):
            raise TypeError(f"Mechanic wraps a tinygrad_lr optimizer instance, got {type(base_optimizer).__name__}")
        if type(base_optimizer).prepare is not Optimizer.prepare or type(base_optimizer).step is not Optimizer.step \
                and not isinstance(base_optimizer, SPS):
            raise ValueError(f"Mechanic cannot wrap {type(base_optimizer).__name__}: its step() does more than "
                             "apply its Φ")
        check_nonneg({"s_decay": s_decay, "s_init": s_init, "eps": eps}, "s_decay", "s_init", "eps")
        betas = tuple(betas)
        if not betas:
            raise ValueError("invalid betas: () (need at least one)")
        for i, b in enumerate(betas):
            if not 0.0 <= b <= 1.0:
                raise ValueError(f"invalid betas[{i}]: {b} (must be in [0, 1])")
        self.base = base_optimizer
        self.s_decay, self.betas, self.s_init, self.eps, self.store_delta = s_decay, betas, s_init, eps, store_delta
        self.defaults = base_optimizer.defaults
        self.param_groups = base_optimizer.param_groups  # shared: schedulers and lr methods act on both
        self.needs_loss, self.needs_graph = base_optimizer.needs_loss, base_optimizer.needs_graph
        self.state = {p: dict(st) for p, st in base_optimizer.state.items()}  # an instance already stepped
        base_gs = getattr(base_optimizer, "group_state", None) or {}
        self.group_state = {k: {**self.init_group_state(self.param_groups[k]),
                                **{f"base/{n}": v for n, v in c.items()}} for k, c in base_gs.items()}

    def add_param_group(self, group):
        self.base.add_param_group(group)

    def check_group(self, group):
        self.base.check_group(group)

    def _mechanic_state(self, w):
        st = {"mechanic_ref": _copy(w)}
        if self.store_delta:
            st["mechanic_delta"] = w * 0.0
        return st

    def init_state(self, w, group):
        st = dict(self.base.init_state(w, group))
        clash = [n for n in st if n.startswith("mechanic_")]
        if clash:
            raise ValueError(f"Mechanic: the state of {type(self.base).__name__} already has {clash}")
        return {**st, **self._mechanic_state(w)}

    def get_state(self, p, group):
        st = super().get_state(p, group)
        if "mechanic_ref" not in st:  # a parameter the base optimizer had already stepped before it was wrapped
            st.update(self._mechanic_state(p.detach()))
        return st

    def adapted(self):
        """Σs, the learned scale of the base optimizer's updates (per group: "s/<k>"), and what the base optimizer
        adapts itself ("base/..." group-state scalars)."""
        out, many = super().adapted(), len(self.param_groups) > 1
        for k, c in sorted((getattr(self, "group_state", None) or {}).items()):
            if "s" in c:
                out[f"s/{k}" if many else "s"] = float(c["s"].data.sum())
        return out

    def init_group_state(self, group):
        p, n = group["params"][0], len(self.betas)
        c = {"s": _const([0.0] * n, p), "sum_squared_products": _const([0.0] * n, p),
             "reward": _const([0.0] * n, p), "max_product": _const([1e-6] * n, p)}
        c.update({f"base/{k}": v for k, v in self.base.init_group_state(group).items()})
        return c

    def phi_group(self, ws, gs, states, gstate, lrs, group, steps, loss=None):
        base_states = [{k: v for k, v in s.items() if not k.startswith("mechanic_")} for s in states]
        base_c = {k[5:]: v for k, v in gstate.items() if k.startswith("base/")}
        wbs, new_states, new_c = self.base.phi_group(ws, gs, base_states, base_c, lrs, group, steps, loss)
        s, eps, n = gstate["s"], self.eps, len(self.betas)
        s_sum = s.sum()
        if self.store_delta:
            deltas = [st["mechanic_delta"] for st in states]
        else:
            deltas = [(w - st["mechanic_ref"]) / (s_sum + eps) for w, st in zip(ws, states)]
        global_norm = grad_norm = 0.0
        for wb, g in zip(wbs, gs):
            global_norm = global_norm + (wb * wb).sum()
            grad_norm = grad_norm + (g * g).sum()
        global_norm, grad_norm = global_norm.sqrt(), grad_norm.sqrt()
        h = 0.0
        for d, g, wb in zip(deltas, gs, wbs):
            decay = self.s_decay * wb * s_sum * grad_norm / (global_norm + eps)
            h = h + (d * (g + decay)).sum()
        deltas = [d + (wb - w) for d, wb, w in zip(deltas, wbs, ws)]
        betas = _const(self.betas, s)
        max_product = (betas * gstate["max_product"]).maximum(h.abs())
        ssp = gstate["sum_squared_products"] * betas ** 2 + h * h
        reward = (gstate["reward"] * betas - s * h).maximum(0.0)
        wealth = max_product * self.s_init / n + reward
        s = wealth / (ssp.sqrt() + eps)
        scale = s.sum().maximum(0.0)
        out_w, out_s = [], []
        for st, nst, d in zip(states, new_states, deltas):
            out_w.append(st["mechanic_ref"] + d * scale)
            extra = {"mechanic_ref": st["mechanic_ref"]}
            if self.store_delta:
                extra["mechanic_delta"] = d
            out_s.append({**nst, **extra})
        c = {"s": s, "sum_squared_products": ssp, "reward": reward, "max_product": max_product}
        c.update({f"base/{k}": v for k, v in new_c.items()})
        return out_w, out_s, c

    def __repr__(self):
        return (f"Mechanic(s_decay={self.s_decay}, betas={self.betas}, s_init={self.s_init}, eps={self.eps}, "
                f"store_delta={self.store_delta}) of\n{self.base!r}")


# ---- COCOB -------------------------------------------------------------------------------------------------------
class COCOB(Optimizer):
    r"""COCOB-Backprop (Orabona & Tommasi 2017, "Training deep networks without learning rates through coin
    betting", NeurIPS 2017, arXiv:1705.07795, Algorithm 2), ported from `parameterfree.COCOB` (bremen79/parameterfree,
    parameterfree/cocob.py, by the first author). Per coordinate, from x_0 (the parameters at the first step), with
    L_0 = eps, G = θ = R = 0:

        g = lr·(g + λ·x)                                   (weight_decay λ; lr = 1: the paper)
        L = max(L, |g|),   θ = θ - g,   G = G + |g|,   R = max(R - g·(x - x_0), 0)
        x' = x_0 + (R + L)·θ / (max(G + L, α·L)·L)

    `lr` multiplies the gradient as in the reference's latest version, which uses the largest lr over all param
    groups; here each group uses its own lr (the same thing when all groups share one, as by default).

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        alpha: α, which bounds the first steps.
        eps: L_0.
        weight_decay: λ.
        lr: a multiplier of the gradient (1: the paper).
    """

    def __init__(self, params, alpha=100, eps=1e-8, weight_decay=0, lr=1.0):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay))

    def check_group(self, group):
        check_nonneg(group, "alpha", "eps", "weight_decay")

    def init_state(self, w, group):
        return {"sum_negative_gradients": w * 0.0, "grad_norm_sum": w * 0.0, "L": w * 0.0 + group["eps"],
                "reward": w * 0.0, "x0": _copy(w)}

    def phi(self, w, g, state, lr, group, step):
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * w
        g = g * lr
        x0 = state["x0"]
        L = state["L"].maximum(g.abs())
        sng = state["sum_negative_gradients"] - g
        gns = state["grad_norm_sum"] + g.abs()
        reward = (state["reward"] - g * (w - x0)).maximum(0.0)
        den = (gns + L).maximum(L * group["alpha"]) * L
        return (reward + L) * sng / den + x0, {"sum_negative_gradients": sng, "grad_norm_sum": gns, "L": L,
                                               "reward": reward, "x0": x0}


# ---- SPS ---------------------------------------------------------------------------------------------------------
class SPS(Optimizer):
    r"""Stochastic Polyak step size, SPS_max (Loizou, Vaswani, Laradji & Lacoste-Julien 2021, "Stochastic Polyak
    step-size for SGD: an adaptive learning rate for fast convergence", AISTATS 2021, arXiv:2002.10542), ported from
    `sps.Sps` (IssamLaradji/sps, sps/sps.py) with f* = 0. With f the loss of the closure and g all gradients of the
    group (centralised when asked: g - mean over all dims but the first, for tensors of 2 dims or more; the
    reference does this in place, so `centralize_grad_norm` centralises the step's gradients too):

        ‖g‖ < 1e-8:       γ = 0 and no step
        'smooth_iter':    γ = min(γ_prev·gamma^(1/n_batches_per_epoch),  f/(c·‖g‖² + eps))      (γ_0 = init_step_size)
        'constant':       γ = f/(c·‖g‖² + eps), then 0 if f < 0, else min(eta_max, γ) when eta_max is set
        x' = x - lr·γ·g                                       (lr = 1: the reference)

    Needs the loss: call step(closure); step returns float(loss) like the reference. As the reference, it raises
    ValueError('Got NaNs') when the first parameter becomes NaN. The step size γ and ‖g‖ are the group state
    ("step_size", "grad_norm"); the reference keeps them for all parameters (the same with one param group).
    fstar_flag (f* read from the batch) is not supported: f* = 0.

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        n_batches_per_epoch: the period of the 'smooth_iter' growth factor.
        init_step_size: γ_0.
        c: c in the Polyak step f/(c·‖g‖²).
        gamma: the growth factor per epoch of 'smooth_iter'.
        eta_max: the cap on γ for 'constant' (None: none).
        adapt_flag: 'smooth_iter' or 'constant'.
        fstar_flag: must be None (f* = 0).
        eps: added to the denominator.
        centralize_grad_norm: centralise the gradients (for ‖g‖ and, as the reference, for the step).
        centralize_grad: centralise the gradients too (not together with centralize_grad_norm).
        lr: a multiplier of the step (1: the reference).
    """
    needs_loss = True

    def __init__(self, params, n_batches_per_epoch=500, init_step_size=1, c=0.5, gamma=2.0, eta_max=None,
                 adapt_flag="smooth_iter", fstar_flag=None, eps=1e-8, centralize_grad_norm=False,
                 centralize_grad=False, lr=1.0):
        if fstar_flag:
            raise ValueError(f"fstar_flag={fstar_flag!r} is not supported: SPS here uses f* = 0")
        if adapt_flag not in ("constant", "smooth_iter"):
            raise ValueError(f"adapt_flag: {adapt_flag} not supported")
        if centralize_grad and centralize_grad_norm:
            raise ValueError("centralize_grad=True needs centralize_grad_norm=False (as in the reference)")
        super().__init__(params, dict(lr=lr, n_batches_per_epoch=n_batches_per_epoch, init_step_size=init_step_size,
                                      c=c, gamma=gamma, eta_max=eta_max, adapt_flag=adapt_flag, eps=eps,
                                      centralize_grad_norm=centralize_grad_norm, centralize_grad=centralize_grad))

    def check_group(self, group):
        _check_positive("n_batches_per_epoch", group["n_batches_per_epoch"])
        _check_positive("c", group["c"])
        _check_positive("gamma", group["gamma"])
        check_nonneg(group, "init_step_size", "eps")
        if group["eta_max"] is not None:
            check_nonneg(group, "eta_max")

    def init_group_state(self, group):
        p = group["params"][0]
        return {"step_size": _const(float(group["init_step_size"]), p), "grad_norm": _const(0.0, p)}

    def phi_group(self, ws, gs, states, gstate, lrs, group, steps, loss=None):
        if loss is None:
            raise ValueError("SPS uses the loss value: call step(closure), with a closure that returns the loss")
        if group["centralize_grad"] or group["centralize_grad_norm"]:
            gs = [g - g.mean(axis=tuple(range(1, g.ndim)), keepdim=True) if g.ndim > 1 else g for g in gs]
        sq = 0.0
        for g in gs:
            sq = sq + (g * g).sum()
        grad_norm = sq.sqrt()
        loss = loss if isinstance(loss, Tensor) else _const(loss, grad_norm)
        if grad_norm.item() < 1e-8:
            step_size, new_ws = grad_norm * 0.0, list(ws)
        else:
            step_size = loss / (group["c"] * grad_norm ** 2 + group["eps"])
            if group["adapt_flag"] == "constant":
                if loss.item() < 0:
                    step_size = step_size * 0.0
                elif group["eta_max"] is not None:
                    step_size = step_size.minimum(group["eta_max"])
            else:
                coeff = group["gamma"] ** (1.0 / group["n_batches_per_epoch"])
                step_size = (coeff * gstate["step_size"]).minimum(step_size)
            new_ws = [w - lr * step_size * g for w, g, lr in zip(ws, gs, lrs)]
        if np.isnan(new_ws[0].numpy()).any():
            raise ValueError("Got NaNs")
        return new_ws, states, {"step_size": step_size, "grad_norm": grad_norm}

    def step(self, closure=None):
        """One step; `closure` (required) re-evaluates and returns the loss. Returns float(loss), as the
        reference."""
        loss = super().step(closure)
        return None if loss is None else float(loss.item() if isinstance(loss, Tensor) else loss)


Sps = SPS  # the reference's class name


# ---- WNGrad ------------------------------------------------------------------------------------------------------
class WNGrad(Optimizer):
    r"""WNGrad (Wu, Ward & Bottou 2018, "WNGrad: learn the learning rate in gradient descent", arXiv:1803.02865):
    the stochastic algorithm x_{j+1} = x_j - G_j/b_j, b_{j+1} = b_j + ‖G_j‖²/b_j, as implemented by the Caffe2
    `Wngrad` operator and `WngradOptimizer` (pytorch/pytorch, caffe2/sgd/wngrad_op.h and caffe2/python/optimizer.py;
    the authors publish no package of their own). One b per parameter tensor, b_0 = moment_init:

        x' = x - lr·g/(b + epsilon)
        b' = b + ‖g‖²/(b + epsilon)

    The argument names and defaults are WngradOptimizer's (alpha = lr = 1.0, epsilon = 1e-9, moment_init = 100).

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: the multiplier of the step (alpha in Caffe2).
        moment_init: b_0.
        epsilon: added to b.
    """

    def __init__(self, params, lr=1.0, moment_init=100.0, epsilon=1e-9):
        super().__init__(params, dict(lr=lr, moment_init=moment_init, epsilon=epsilon))

    def check_group(self, group):
        _check_positive("moment_init", group["moment_init"])
        check_nonneg(group, "epsilon")

    def adapted(self):
        """b of each parameter tensor ("b/<i>", in the order of the param groups), the inverse of its step size."""
        ps = [p for g in self.param_groups for p in g["params"]]
        return {f"b/{i}": float(self.state[p]["b"].item()) for i, p in enumerate(ps) if p in self.state}

    def init_state(self, w, group):
        return {"b": _const(float(group["moment_init"]), w)}

    def phi(self, w, g, state, lr, group, step):
        b = state["b"] + group["epsilon"]
        return w - lr * g / b, {"b": state["b"] + (g * g).sum() / b}


# ---- L4 ----------------------------------------------------------------------------------------------------------
_L4_TRANSFORMS = {"momentum": {"time_momentum": 10.0},
                  "adam": {"time_scale_grad": 10.0, "time_scale_var": 1000.0, "epsilon": 1e-4}}


def _l4_params(kind, params, name):
    out = dict(_L4_TRANSFORMS[kind])
    for k, v in (params or {}).items():
        if k not in out:
            raise ValueError(f"invalid {name} key {k!r} (expected {sorted(out)})")
        out[k] = v
    for k, v in out.items():
        if k.startswith("time"):
            if not (isinstance(v, (int, float)) and v >= 1):
                raise ValueError(f"invalid {name}[{k!r}]: {v!r} (must be >= 1: the EMA decay is 1 - 1/{k})")
        elif not (isinstance(v, (int, float)) and v >= 0):
            raise ValueError(f"invalid {name}[{k!r}]: {v!r} (must be >= 0)")
    return out


class _L4(Optimizer):
    needs_loss = True
    direction = "adam"

    def __init__(self, params, fraction, minloss_factor, init_factor, minloss_forget_time, epsilon, direction_params,
                 lr, name):
        self._dir = _l4_params(self.direction, direction_params, name)
        self._der = _l4_params("momentum", None, "gradient_params")
        super().__init__(params, dict(lr=lr, fraction=fraction, minloss_factor=minloss_factor,
                                      init_factor=init_factor, minloss_forget_time=minloss_forget_time,
                                      epsilon=epsilon))

    def check_group(self, group):
        check_nonneg(group, "fraction", "minloss_factor", "init_factor", "epsilon")
        _check_positive("minloss_forget_time", group["minloss_forget_time"])

    def init_state(self, w, group):
        st = {"direction_avg": w * 0.0, "derivative_avg": w * 0.0}
        if self.direction == "adam":
            st["direction_avg_sq"] = w * 0.0
        return st

    def init_group_state(self, group):
        return {"min_loss": _const(0.0, group["params"][0]), "global_step": 0}

    @staticmethod
    def _ema(shadow, value, time_scale):
        """tf.train.ExponentialMovingAverage.apply (no zero-debias): s ← s - (s - v)·(1 - decay)."""
        decay = 1.0 - 1.0 / time_scale
        return shadow - (shadow - value) * (1.0 - decay)

    @staticmethod
    def _time_factor(time_scale, t):
        """1 - decay^t, computed as the reference does: 1 - exp(t·log(1 - 1/τ))."""
        decay = 1.0 - 1.0 / time_scale
        return 1.0 - (math.exp(t * math.log(decay)) if decay > 0 else 0.0)

    def phi_group(self, ws, gs, states, gstate, lrs, group, steps, loss=None):
        if loss is None:
            raise ValueError(f"{type(self).__name__} uses the loss value: call step(closure), with a closure that "
                             "returns the loss")
        k = int(gstate["global_step"])
        t = k + 1
        loss = loss if isinstance(loss, Tensor) else _const(loss, ws[0])
        min_loss = group["init_factor"] * loss if k == 0 else gstate["min_loss"].minimum(loss)
        new_states, dirs, ders = [], [], []
        for g, st in zip(gs, states):
            tau = self._dir["time_scale_grad"] if self.direction == "adam" else self._dir["time_momentum"]
            new = {"direction_avg": self._ema(st["direction_avg"], g, tau),
                   "derivative_avg": self._ema(st["derivative_avg"], g, self._der["time_momentum"])}
            if self.direction == "adam":
                p = self._dir
                new["direction_avg_sq"] = self._ema(st["direction_avg_sq"], g * g, p["time_scale_var"])
                avg_g = new["direction_avg"] / self._time_factor(p["time_scale_grad"], t)
                avg_v = new["direction_avg_sq"] / self._time_factor(p["time_scale_var"], t)
                dirs.append(avg_g / (avg_v.sqrt() + p["epsilon"]))
            else:
                dirs.append(new["direction_avg"] / self._time_factor(self._dir["time_momentum"], t))
            ders.append(new["derivative_avg"] / self._time_factor(self._der["time_momentum"], t))
            new_states.append(new)
        inner = 0.0
        for d, e in zip(dirs, ders):
            inner = inner + (d * e).sum()
        l_rate = group["fraction"] * (loss - group["minloss_factor"] * min_loss) / (inner + group["epsilon"])
        new_ws = [w - lr * (d * l_rate) for w, d, lr in zip(ws, dirs, lrs)]
        increase = 1.0 + 1.0 / group["minloss_forget_time"]
        return new_ws, new_states, {"min_loss": increase * min_loss, "global_step": t}


class L4Adam(_L4):
    r"""L4 with Adam directions (Rolinek & Martius 2018, "L4: practical loss-based stepsize adaptation for deep
    learning", NeurIPS 2018, arXiv:1802.05074), ported from `L4.L4Adam` (martius-lab/l4-optimizer, L4/L4.py; a
    TensorFlow optimizer). With f the loss of the closure, t the step (1, 2, ...), EMA_τ(a) the exponential moving
    average a_ema ← a_ema - (a_ema - a)/τ started at 0 and c_τ = 1 - (1 - 1/τ)^t:

        v = EMA_{τg}(g)/c_{τg} / (√(EMA_{τv}(g²)/c_{τv}) + ε_adam)     (direction: adam_params τg = 10, τv = 1000,
                                                                            ε_adam = 1e-4)
        ĝ = EMA_{10}(g)/c_{10}                                           (derivative estimate: momentum)
        L_min = init_factor·f at t = 1, else min(L_min, f)
        η = fraction·(f - minloss_factor·L_min)/(⟨v, ĝ⟩ + epsilon),    x' = x - lr·η·v      (lr = 1: the reference)
        L_min ← (1 + 1/minloss_forget_time)·L_min

    ⟨v, ĝ⟩ sums over the param group; L_min and t (`global_step`) are group state (the reference keeps them for
    all variables: the same with one group). Needs the loss: call step(closure).

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        fraction: the fraction of the predicted loss decrease to take per step.
        minloss_factor: the fraction of L_min taken as the attainable loss.
        init_factor: L_min at the first step, as a fraction of f.
        minloss_forget_time: the time constant of L_min's increase.
        epsilon: added to ⟨v, ĝ⟩.
        adam_params: the direction's Adam settings (dict; None: τg = 10, τv = 1000, ε_adam = 1e-4).
        lr: a multiplier of the step (1: the reference).
    """
    direction = "adam"

    def __init__(self, params, fraction=0.15, minloss_factor=0.9, init_factor=0.75, minloss_forget_time=1000.0,
                 epsilon=1e-12, adam_params=None, lr=1.0):
        super().__init__(params, fraction, minloss_factor, init_factor, minloss_forget_time, epsilon, adam_params,
                         lr, "adam_params")


class L4Mom(_L4):
    r"""L4 with momentum directions (Rolinek & Martius 2018, arXiv:1802.05074), ported from `L4.L4Mom`
    (martius-lab/l4-optimizer, L4/L4.py): as L4Adam with the direction v = EMA_{τ}(g)/c_{τ} (mom_params:
    time_momentum τ = 10), the same estimator as the derivative ĝ (kept as a separate average, as the reference).

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        fraction: the fraction of the predicted loss decrease to take per step.
        minloss_factor: the fraction of L_min taken as the attainable loss.
        init_factor: L_min at the first step, as a fraction of f.
        minloss_forget_time: the time constant of L_min's increase.
        epsilon: added to ⟨v, ĝ⟩.
        mom_params: the direction's settings (dict; None: time_momentum 10).
        lr: a multiplier of the step (1: the reference).
    """
    direction = "momentum"

    def __init__(self, params, fraction=0.15, minloss_factor=0.9, init_factor=0.75, minloss_forget_time=1000.0,
                 epsilon=1e-12, mom_params=None, lr=1.0):
        super().__init__(params, fraction, minloss_factor, init_factor, minloss_forget_time, epsilon, mom_params,
                         lr, "mom_params")

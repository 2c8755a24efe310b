"""Learning-rate-free optimizers: D-Adaptation (DAdaptSGD, DAdaptAdam), Prodigy, DoG, LDoG and DoWG, each one
group map Φ_group (optimizer.py) whose group state holds the adapted scale (d, r̄, G, v).

The reference packages keep one d (or r̄, G) shared by all parameters of the optimizer; here it is one per param
group, so with a single group (the usual case) every update is exactly the reference's. The arithmetic is ported
from the authors' code, first-step special cases included (the files are cited in each class and in
docs/sources.md). What the references do in place or in Python floats (`max`, `min`, `.item()`) is written in
Tensor ops (maximum, minimum, where, sqrt) so that the hyper-gradient machinery can differentiate Φ where it is
differentiable; the only Python branches on values are the references' own "no progress yet" early returns
(a zero gradient) and DoG's check G > 0 (the reference's assertion), on one 0-d value per group.

Group state entries that are Python ints (the step counter k) are constants for autodiff; the 0-d Tensors (d,
numerators, r̄, G, v) carry tangents.
"""
import logging
import math
import numbers

from ..tensor import Tensor
from .optimizer import Optimizer, check_betas, check_nonneg

logger = logging.getLogger(__name__)


# ---- helpers ------------------------------------------------------------------------------------------------------
def _scalar(p, value):
    """A 0-d Tensor on p's device, in p's dtype."""
    return Tensor.ones((), dtype=p.dtype, device=p.device) * value


def _copy(w):
    return Tensor.wrap(w.data.copy(), w.device)


def _active(lr):
    """The references skip the statistics of a param group whose lr is 0 (a Tensor lr, from the hyper methods,
    counts as active)."""
    return not (isinstance(lr, numbers.Number) and lr == 0)


def _is_zero(x):
    """x == 0 for a 0-d Tensor or a Python number (the references' `if d_denom == 0: return`)."""
    return float(x.item() if isinstance(x, Tensor) else x) == 0.0


def _sqrt0(sq):
    """√sq for sq >= 0 with the derivative 0 (a subgradient) at sq = 0 instead of ∞·0 = nan: the value is the
    same as sq.sqrt(); the norms ‖x - x0‖ of DoG/DoWG are 0 at the start and for a parameter that has not moved."""
    pos = sq > 0
    return Tensor.where(pos, Tensor.where(pos, sq, 1.0).sqrt(), 0.0)


def _positive(name, v, strict=True):
    if not isinstance(v, numbers.Number) or v != v or (v <= 0 if strict else v < 0):
        raise ValueError(f"invalid {name}: {v!r} (must be {'>' if strict else '>='} 0)")


def _min_growth(d_max, d, growth_rate):
    """min(d_max, d·growth_rate), without the nan that d·∞ would put in the derivative at growth_rate = ∞."""
    return d_max if growth_rate == math.inf else d_max.minimum(d * growth_rate)


def _check_lr(lr, name):
    if not isinstance(lr, numbers.Number) or not lr > 0.0:
        raise ValueError(f"invalid lr: {lr!r} (must be > 0; {name} multiplies its adapted step size by it)")


# ---- D-Adaptation ------------------------------------------------------------------------------------------------
class DAdaptSGD(Optimizer):
    r"""SGD with D-Adaptation (Defazio & Mishchenko 2023, "Learning-Rate-Free Learning by D-Adaptation", ICML,
    arXiv:2301.07733), ported from the authors' package: facebookresearch/dadaptation, dadaptation/dadapt_sgd.py
    (class DAdaptSGD). Per param group, with k counting from 0, g_k = ∇f + λ·x (weight decay λ), γ = lr:

        ‖g_0‖ = √(Σ_params ‖∇f(x_0)‖²)                 (first step; without the weight decay, as the reference)
        λ_k = d_k·γ / ‖g_0‖                           (dlr)
        N_{k+1} = N_k + λ_k·⟨g_k, s_k⟩,   s_{k+1} = s_k + λ_k·g_k
        d̂ = 2·N_{k+1} / ‖s_{k+1}‖,        d_{k+1} = max(d_k, min(d̂, d_k·growth_rate))
        z_{k+1} = x_0 - s_{k+1},          x_{k+1} = μ·x_k + (1 - μ)·z_{k+1}      (momentum μ; the reference
                                                                                 writes (1 - c_k)·x + c_k·z)

    (dual averaging with momentum as primal averaging). d_0 = d0; N, s start at 0; sums run over the group's
    parameters with a gradient (those of a group with lr 0 are skipped). A step with ‖s_{k+1}‖ = 0 (zero gradients so
    far) changes neither x nor d, nor k; the same holds here for a zero first gradient, where the reference divides by
    ‖g_0‖ = 0 and raises ZeroDivisionError. Group state: d, numerator_weighted (N), g0_norm, k.
    log_every > 0 logs d, d̂ every that many steps, as the reference (logging.info).

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: γ, a multiplier of the adapted step (1: the reference's default).
        momentum: μ.
        weight_decay: λ, added to the gradient.
        log_every: log d every that many steps (0: never).
        d0: the initial estimate d_0.
        growth_rate: the cap on d's growth per step.
    """

    def __init__(self, params, lr=1.0, momentum=0.0, weight_decay=0, log_every=0, d0=1e-6, growth_rate=float("inf")):
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, log_every=log_every, d0=d0,
                        growth_rate=growth_rate)
        _check_lr(lr, "DAdaptSGD")
        super().__init__(params, defaults)

    def check_group(self, group):
        _positive("d0", group["d0"])
        _positive("growth_rate", group["growth_rate"])
        check_nonneg(group, "weight_decay")
        m = group["momentum"]
        if not isinstance(m, numbers.Number) or not 0.0 <= m < 1.0:
            raise ValueError(f"invalid momentum: {m!r} (must be in [0, 1))")
        if not isinstance(group["log_every"], numbers.Integral) or group["log_every"] < 0:
            raise ValueError(f"invalid log_every: {group['log_every']!r} (must be an int >= 0)")

    def init_state(self, w, group):
        return {"s": w * 0.0, "x0": _copy(w)}

    def init_group_state(self, group):
        p = group["params"][0]
        return {"d": _scalar(p, group["d0"]), "numerator_weighted": _scalar(p, 0.0), "g0_norm": _scalar(p, 0.0),
                "k": 0}

    def phi_group(self, ws, gs, states, c, lrs, group, steps, loss=None):
        mom, decay, gr = group["momentum"], group["weight_decay"], group["growth_rate"]
        ck = 1 - mom
        k, d = c["k"], c["d"]
        if k == 0:  # ‖g_0‖ of the raw gradients (the reference's grad.add(...) there is not in place)
            g_sq = 0.0
            for g, lr in zip(gs, lrs):
                if _active(lr):
                    g_sq = g_sq + (g * g).sum()
            if _is_zero(g_sq):  # no information yet: nothing moves, k stays 0 (the reference divides by 0)
                return ws, states, c
            g0_norm = g_sq.sqrt()
        else:
            g0_norm = c["g0_norm"]
        sk_sq, delta, new = 0.0, 0.0, []
        for w, g, s, lr in zip(ws, gs, states, lrs):
            dlr = d * lr / g0_norm
            if decay != 0:
                g = g + decay * w
            s2 = s["s"]
            if _active(lr):
                delta = delta + dlr * (g * s2).sum()
                s2 = s2 + dlr * g
                sk_sq = sk_sq + (s2 * s2).sum()
            new.append({"s": s2, "x0": s["x0"]})
        if _is_zero(sk_sq):  # no progress: the reference returns before committing x, d and k
            return ws, new, c
        num = c["numerator_weighted"] + delta
        d_hat = 2 * num / sk_sq.sqrt()
        d2 = d.maximum(_min_growth(d_hat, d, gr))
        if group["log_every"] > 0 and k % group["log_every"] == 0:
            logger.info(f"(k={k}) dlr: {float((d * group['lr'] / g0_norm).item())} d_hat: {float(d_hat.item())}, "
                        f"d: {float(d2.item())}. sk_norm={math.sqrt(float(sk_sq.item()))} "
                        f"numerator_weighted={float(num.item())} g0_norm={float(g0_norm.item())}")
        ws2 = [w * (1 - ck) + (s["x0"] - s["s"]) * ck for w, s in zip(ws, new)]
        return ws2, new, {"d": d2, "numerator_weighted": num, "g0_norm": g0_norm, "k": k + 1}


class DAdaptAdam(Optimizer):
    r"""Adam with D-Adaptation (Defazio & Mishchenko 2023, "Learning-Rate-Free Learning by D-Adaptation", ICML,
    arXiv:2301.07733), ported from the authors' package: facebookresearch/dadaptation, dadaptation/dadapt_adam.py
    (class DAdaptAdam). Per param group, k counting from 0, γ = lr, r = layer_scale (a param-group key, default 1),
    √β2 written b, g = ∇f + λ·x unless decouple:

        bc = √(1 - β2^{k+1}) / (1 - β1^{k+1})  if use_bias_correction else 1,     λ_k = d_k·γ·bc   (dlr)
        A  = Σ r·λ_k·⟨g, s / (√v + ε)⟩                                         (old s, v)
        m ← β1·m + r·λ_k·(1 - β1)·g,   v ← β2·v + (1 - β2)·g²,   s ← b·s + λ_k·(1 - b)·g
        N ← b·N + (1 - b)·A,           d̂ = N / ((1 - b)·Σ r·‖s‖₁),   d_{k+1} = max(d_k, min(d̂, d_k·growth_rate))
        x ← x - λ_k·λ·x  (decouple),   x ← x - m / (√v + ε)

    d_0 = d0; N, s, m, v start at 0. A step with Σ‖s‖₁ = 0 (zero gradients so far) updates m, v, s in place and
    returns before moving x, d or k, as the reference. Group state: d, numerator_weighted (N), k.

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: γ (1 by default).
        betas: (β1, β2).
        eps: ε.
        weight_decay: λ.
        log_every: log d every that many steps (0: never).
        decouple: decoupled weight decay (AdamW's) instead of an L2 term in g.
        use_bias_correction: Adam's bias correction in λ_k.
        d0: the initial estimate d_0.
        growth_rate: the cap on d's growth per step.
    """

    def __init__(self, params, lr=1.0, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, log_every=0, decouple=False,
                 use_bias_correction=False, d0=1e-6, growth_rate=float("inf")):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, layer_scale=1.0,
                        log_every=log_every, decouple=decouple, use_bias_correction=use_bias_correction, d0=d0,
                        growth_rate=growth_rate)
        _check_lr(lr, "DAdaptAdam")
        super().__init__(params, defaults)

    def check_group(self, group):
        _positive("d0", group["d0"])
        _positive("eps", group["eps"])
        _positive("growth_rate", group["growth_rate"])
        _positive("layer_scale", group["layer_scale"], strict=False)
        check_nonneg(group, "weight_decay")
        check_betas(group)
        if not isinstance(group["log_every"], numbers.Integral) or group["log_every"] < 0:
            raise ValueError(f"invalid log_every: {group['log_every']!r} (must be an int >= 0)")

    def init_state(self, w, group):
        return {"s": w * 0.0, "exp_avg": w * 0.0, "exp_avg_sq": w * 0.0}

    def init_group_state(self, group):
        p = group["params"][0]
        return {"d": _scalar(p, group["d0"]), "numerator_weighted": _scalar(p, 0.0), "k": 0}

    def phi_group(self, ws, gs, states, c, lrs, group, steps, loss=None):
        (b1, b2), eps, decay, r = group["betas"], group["eps"], group["weight_decay"], group["layer_scale"]
        decouple, k, d = group["decouple"], c["k"], c["d"]
        bc = ((1 - b2 ** (k + 1)) ** 0.5) / (1 - b1 ** (k + 1)) if group["use_bias_correction"] else 1
        sqrt_beta2 = b2 ** 0.5
        acc, sk_l1, new, dlrs = 0.0, 0.0, [], []
        for w, g, st, lr in zip(ws, gs, states, lrs):
            dlr = d * lr * bc
            if decay != 0 and not decouple:
                g = g + decay * w
            m, v, s = st["exp_avg"], st["exp_avg_sq"], st["s"]
            if _active(lr):
                denom = v.sqrt() + eps
                acc = acc + r * dlr * (g * (s / denom)).sum()
                m = m * b1 + g * (r * dlr * (1 - b1))
                v = v * b2 + (1 - b2) * g * g
                s = s * sqrt_beta2 + g * (dlr * (1 - sqrt_beta2))
                sk_l1 = sk_l1 + r * s.abs().sum()
            new.append({"s": s, "exp_avg": m, "exp_avg_sq": v})
            dlrs.append(dlr)
        if _is_zero(sk_l1):
            return ws, new, c
        num = sqrt_beta2 * c["numerator_weighted"] + (1 - sqrt_beta2) * acc
        d_hat = num / ((1 - sqrt_beta2) * sk_l1)
        d2 = d.maximum(_min_growth(d_hat, d, group["growth_rate"]))
        if group["log_every"] > 0 and k % group["log_every"] == 0:
            logger.info(f"lr: {group['lr']} dlr: {float((d * group['lr'] * bc).item())} d_hat: "
                        f"{float(d_hat.item())}, d: {float(d2.item())}. sk_l1={float(sk_l1.item()):1.1e} "
                        f"numerator_weighted={float(num.item()):1.1e}")
        ws2 = []
        for w, st, dlr in zip(ws, new, dlrs):
            if decay != 0 and decouple:
                w = w + w * (-decay * dlr)
            ws2.append(w - st["exp_avg"] / (st["exp_avg_sq"].sqrt() + eps))
        return ws2, new, {"d": d2, "numerator_weighted": num, "k": k + 1}


# ---- Prodigy -----------------------------------------------------------------------------------------------------
class Prodigy(Optimizer):
    r"""Prodigy (Mishchenko & Defazio 2024, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner", ICML,
    arXiv:2306.06101): Adam with D-Adaptation-style step sizes, ported from the authors' package: konstmish/prodigy,
    prodigyopt/prodigy.py (class Prodigy, pip package prodigyopt). Per param group, k counting from 0, γ = lr,
    β3 = √β2 unless given, g = ∇f + λ·x unless decouple, and ·[::p] every p-th entry of the flattened tensor
    (slice_p = p):

        bc = √(1 - β2^{k+1}) / (1 - β1^{k+1})  if use_bias_correction else 1,     λ_k = d_k·γ·bc   (dlr)
        N ← β3·N + Σ (d_k/d0)·λ_k·⟨g[::p], x_0[::p] - x[::p]⟩
        m ← β1·m + d_k·(1 - β1)·g,     v ← β2·v + d_k²·(1 - β2)·g²
        s ← β3·s + (d_k/d0)·(d_k if safeguard_warmup else λ_k)·g[::p],      D = Σ‖s‖₁
        d̂ = d_coef·N / D,   d ← max(d_k, d̂) if d_k = d0,   d_max ← max(d_max, d̂),   d_{k+1} = min(d_max, d·growth_rate)
        x ← x - λ_k·λ·x  (decouple),   x ← x - λ_k·m / (√v + d_{k+1}·ε)
                                       (β1 = 0: no m, x ← x - λ_k·d_{k+1}·g / (√v + d_{k+1}·ε))

    d_0 = d_max = d0; N, s, m, v start at 0; x_0 is the parameter at its first step (stored as a 0-d zero for an
    all-zero parameter, as the reference). A step with D = 0 updates m, v, s and returns before moving x, d, N or k,
    as the reference. Group state: d, d_max, d_numerator (N), k. fsdp_in_use (sharded parameters) has no meaning
    here and is not an argument.

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: γ (1 by default).
        betas: (β1, β2).
        beta3: β3 (None: √β2).
        eps: ε.
        weight_decay: λ.
        decouple: decoupled weight decay (default) instead of an L2 term in g.
        use_bias_correction: Adam's bias correction in λ_k.
        safeguard_warmup: use d_k instead of λ_k in s (for warm-up schedules).
        d0: the initial estimate d_0.
        d_coef: the multiplier of d̂.
        growth_rate: the cap on d's growth per step.
        slice_p: p, use every p-th entry in the estimates (1: all).
    """

    def __init__(self, params, lr=1.0, betas=(0.9, 0.999), beta3=None, eps=1e-8, weight_decay=0, decouple=True,
                 use_bias_correction=False, safeguard_warmup=False, d0=1e-6, d_coef=1.0, growth_rate=float("inf"),
                 slice_p=1):
        defaults = dict(lr=lr, betas=tuple(betas), beta3=beta3, eps=eps, weight_decay=weight_decay, d0=d0,
                        d_coef=d_coef, growth_rate=growth_rate, use_bias_correction=use_bias_correction,
                        decouple=decouple, safeguard_warmup=safeguard_warmup, slice_p=slice_p)
        _check_lr(lr, "Prodigy")
        super().__init__(params, defaults)

    def check_group(self, group):
        _positive("d0", group["d0"])
        _positive("eps", group["eps"])
        _positive("d_coef", group["d_coef"])
        _positive("growth_rate", group["growth_rate"])
        check_nonneg(group, "weight_decay")
        check_betas(group)
        if group["beta3"] is not None:
            check_betas(group, "beta3")
        sp = group["slice_p"]
        if not isinstance(sp, numbers.Integral) or isinstance(sp, bool) or sp < 1:
            raise ValueError(f"invalid slice_p: {sp!r} (must be an int >= 1)")

    def _sliced(self, x, group):
        flat = x.reshape(-1)
        return flat if group["slice_p"] == 1 else flat[::group["slice_p"]]

    def state_shape(self, name, p, group):
        if name in ("s", "p0"):
            return ((p.numel() + group["slice_p"] - 1) // group["slice_p"],)
        return p.shape

    def init_state(self, w, group):
        sl = self._sliced(w, group)
        st = {"s": sl * 0.0,
              "p0": _copy(sl) if bool(w.data.any()) else _scalar(w, 0.0),
              "exp_avg_sq": w * 0.0}
        if group["betas"][0] > 0:
            st["exp_avg"] = w * 0.0
        return st

    def init_group_state(self, group):
        p = group["params"][0]
        return {"d": _scalar(p, group["d0"]), "d_max": _scalar(p, group["d0"]), "d_numerator": _scalar(p, 0.0),
                "k": 0}

    def phi_group(self, ws, gs, states, c, lrs, group, steps, loss=None):
        (b1, b2), eps, decay, d0 = group["betas"], group["eps"], group["weight_decay"], group["d0"]
        b3 = math.sqrt(b2) if group["beta3"] is None else group["beta3"]
        decouple, k, d, d_max = group["decouple"], c["k"], c["d"], c["d_max"]
        bc = ((1 - b2 ** (k + 1)) ** 0.5) / (1 - b1 ** (k + 1)) if group["use_bias_correction"] else 1
        d_numerator = c["d_numerator"] * b3
        delta, d_denom, new, gs2, dlrs = 0.0, 0.0, [], [], []
        for w, g, st, lr in zip(ws, gs, states, lrs):
            dlr = d * lr * bc
            if decay != 0 and not decouple:
                g = g + decay * w
            st = dict(st)
            if _active(lr):
                sg = self._sliced(g, group)
                # d / d0 instead of d: avoids values that are too small (the reference's comment)
                delta = delta + (d / d0) * dlr * (sg * (st["p0"] - self._sliced(w, group))).sum()
                if b1 > 0:
                    st["exp_avg"] = st["exp_avg"] * b1 + g * (d * (1 - b1))
                st["exp_avg_sq"] = st["exp_avg_sq"] * b2 + g * g * (d * d * (1 - b2))
                st["s"] = st["s"] * b3 + sg * ((d / d0) * (d if group["safeguard_warmup"] else dlr))
                d_denom = d_denom + st["s"].abs().sum()
            new.append(st)
            gs2.append(g)
            dlrs.append(dlr)
        if _is_zero(d_denom):  # no progress yet (zero gradients): x, d, N and k stay
            return ws, new, c
        num = d_numerator + delta
        d_hat = group["d_coef"] * num / d_denom
        d = Tensor.where(d == d0, d.maximum(d_hat), d)  # the reference's `if d == group['d0']`
        d_max = d_max.maximum(d_hat)
        d = _min_growth(d_max, d, group["growth_rate"])
        ws2 = []
        for w, g, st, dlr in zip(ws, gs2, new, dlrs):
            denom = st["exp_avg_sq"].sqrt() + d * eps
            if decay != 0 and decouple:
                w = w + w * (-decay * dlr)
            if b1 > 0:
                ws2.append(w - dlr * (st["exp_avg"] / denom))
            else:
                ws2.append(w - (dlr * d) * (g / denom))
        return ws2, new, {"d": d, "d_max": d_max, "d_numerator": num, "k": k + 1}


# ---- DoG, LDoG, DoWG ---------------------------------------------------------------------------------------------
class DoG(Optimizer):
    r"""DoG, "Distance over Gradients" (Ivgi, Hinder & Carmon 2023, "DoG is SGD's Best Friend: A Parameter-Free
    Dynamic Step Size Schedule", ICML, arXiv:2302.12022), ported from the authors' package: formll/dog,
    src/dog/dog.py (class DoG, pip package dog-optimizer). The whole param group is one vector; g = ∇f + λ·x:

        first step:  r̄_0 = reps_rel·(1 + ‖x_0‖),          G_0 = ‖g_0‖² + eps
        then:        r̄_t = max(r̄_{t-1}, ‖x_t - x_0‖),     G_t = G_{t-1} + ‖g_t‖²
        η_t = c·r̄_t / √G_t   (c = lr, default 1),          x_{t+1} = x_t - η_t·g_t

    init_eta, when given, replaces the first step size η_0 (and sets reps_rel to 0, as the reference: r̄_0 = 0, so
    r̄_1 = ‖x_1 - x_0‖). The authors recommend iterate averaging on top (their PolynomialDecayAverager, not part of
    Φ). ‖·‖ over the group is √(Σ‖x_i‖²) (the reference stacks the per-tensor norms and takes their norm: the same
    number up to rounding), with derivative 0 at a zero norm. Group state: rbar, G, k. A non-positive G raises, as
    the reference's assertion.

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        reps_rel: the relative size of the first step's r̄_0.
        lr: c (1 by default).
        weight_decay: λ, added to the gradient.
        eps: added to G_0.
        init_eta: the first step size η_0 (None: from reps_rel).
    """
    layerwise = False

    def __init__(self, params, reps_rel=1e-6, lr=1.0, weight_decay=0.0, eps=1e-8, init_eta=None):
        if not isinstance(lr, numbers.Number) or not lr > 0.0:
            raise ValueError(f"invalid lr: {lr!r} (must be > 0; suggested value is 1)")
        if lr != 1.0:
            logger.warning("We do not recommend changing the lr parameter from its default value of 1")
        if init_eta is not None:
            _positive("init_eta", init_eta)
            reps_rel = 0
        else:
            _positive("reps_rel", reps_rel)
        super().__init__(params, dict(reps_rel=reps_rel, lr=lr, weight_decay=weight_decay, eps=eps,
                                      init_eta=init_eta))

    def check_group(self, group):
        check_nonneg(group, "weight_decay", "eps", "reps_rel")
        if group["init_eta"] is not None:
            _positive("init_eta", group["init_eta"])

    def init_state(self, w, group):
        return {"x0": _copy(w)}

    def init_group_state(self, group):
        p = group["params"][0]
        if self.layerwise:
            return {"k": 0}
        return {"rbar": _scalar(p, 0.0), "G": _scalar(p, 0.0), "k": 0}

    def _update(self, ws, gs, states, c, group):
        """(r̄, G) for the group (DoG) or one per tensor (LDoG), as lists over the parameters."""
        first = c["k"] == 0
        if first:
            rbar = group["reps_rel"] * (1 + _sqrt0(sum((w * w).sum() for w in ws)))
            G = sum((g * g).sum() for g in gs) + group["eps"]
        else:
            rbar = c["rbar"].maximum(_sqrt0(sum(((w - s["x0"]) * (w - s["x0"])).sum() for w, s in zip(ws, states))))
            G = c["G"] + sum((g * g).sum() for g in gs)
        return rbar, G

    def phi_group(self, ws, gs, states, c, lrs, group, steps, loss=None):
        wd, first = group["weight_decay"], c["k"] == 0
        if wd > 0:
            gs = [g + wd * w for w, g in zip(ws, gs)]
        if self.layerwise:
            upd = [self._update([w], [g], [s], {"k": c["k"], **s}, group) for w, g, s in zip(ws, gs, states)]
        else:
            upd = [self._update(ws, gs, states, c, group)] * len(ws)
        for _, G in upd[:1] if not self.layerwise else upd:
            G_ = float(G.item())
            if not math.isfinite(G_):  # the run diverged: an arithmetic error, as for any non-finite step
                raise FloatingPointError(f"{type(self).__name__}: the gradients' sum of squares G is {G_} (the "
                                         f"run diverged)")
            if not G_ > 0:  # as the reference code
                raise RuntimeError(f"{type(self).__name__} cannot work when G is not strictly positive. got: {G_}")
        ws2, new = [], []
        for w, g, s, lr, (rbar, G) in zip(ws, gs, states, lrs, upd):
            eta = lr * rbar / G.sqrt()
            if first and group["init_eta"] is not None:
                eta = group["init_eta"]
            ws2.append(w - eta * g)
            new.append({"x0": s["x0"], "rbar": rbar, "G": G} if self.layerwise else s)
        c2 = {"k": c["k"] + 1} if self.layerwise else {"rbar": upd[0][0], "G": upd[0][1], "k": c["k"] + 1}
        return ws2, new, c2


class LDoG(DoG):
    r"""Layer-wise DoG (Ivgi, Hinder & Carmon 2023, arXiv:2302.12022), ported from formll/dog, src/dog/dog.py
    (class LDoG): DoG's formula for each parameter tensor separately,

        first step:  r̄_0 = reps_rel·(1 + ‖x_0‖),          G_0 = ‖g_0‖² + eps        (per tensor)
        then:        r̄_t = max(r̄_{t-1}, ‖x_t - x_0‖),     G_t = G_{t-1} + ‖g_t‖²
        η_t = c·r̄_t / √G_t,                                 x_{t+1} = x_t - η_t·g_t

    so r̄ and G are 0-d entries of each parameter's state (rbar, G), not of the group's.

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        reps_rel, lr, weight_decay, eps, init_eta: as DoG's, per tensor.
    """
    layerwise = True

    def init_state(self, w, group):
        return {"x0": _copy(w), "rbar": _scalar(w, 0.0), "G": _scalar(w, 0.0)}


class DoWG(Optimizer):
    r"""DoWG, "Distance over Weighted Gradients" (Khaled, Mishchenko & Jin 2023, "DoWG Unleashed: An Efficient
    Universal Parameter-Free Gradient Descent Method", NeurIPS, arXiv:2305.16284), Algorithm 1 of the paper (there
    is no reference package). The whole param group is one vector; g = ∇f + λ·x:

        r̄_{-1} = r_ε,  v_{-1} = 0
        r̄_t = max(‖x_t - x_0‖, r̄_{t-1}),     v_t = v_{t-1} + r̄_t²·‖g_t‖²
        η_t = c·r̄_t² / √v_t   (c = lr, default 1; the paper has c = 1),      x_{t+1} = x_t - η_t·g_t

    r_ε = reps_rel·(1 + ‖x_0‖) as in DoG (the paper only asks r_ε > 0 small), or r_eps when given. While v = 0 (zero
    gradients so far) the step size is 0 instead of r̄²/0. Weight decay λ (default 0) is an L2 term added to the
    gradient, as in DoG. Group state: rbar, v, k.

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: c (1 by default).
        reps_rel: r_ε relative to 1 + ‖x_0‖.
        r_eps: r_ε itself (None: from reps_rel).
        weight_decay: λ, added to the gradient.
    """

    def __init__(self, params, lr=1.0, reps_rel=1e-6, r_eps=None, weight_decay=0.0):
        _check_lr(lr, "DoWG")
        if r_eps is not None:
            _positive("r_eps", r_eps)
        else:
            _positive("reps_rel", reps_rel)
        super().__init__(params, dict(lr=lr, reps_rel=reps_rel, r_eps=r_eps, weight_decay=weight_decay))

    def check_group(self, group):
        check_nonneg(group, "weight_decay", "reps_rel")
        if group["r_eps"] is not None:
            _positive("r_eps", group["r_eps"])

    def init_state(self, w, group):
        return {"x0": _copy(w)}

    def init_group_state(self, group):
        p = group["params"][0]
        return {"rbar": _scalar(p, 0.0), "v": _scalar(p, 0.0), "k": 0}

    def phi_group(self, ws, gs, states, c, lrs, group, steps, loss=None):
        wd = group["weight_decay"]
        if wd > 0:
            gs = [g + wd * w for w, g in zip(ws, gs)]
        if c["k"] == 0:  # r̄_0 = max(‖x_0 - x_0‖, r_ε) = r_ε
            r_eps = group["r_eps"]
            rbar = _scalar(ws[0], r_eps) if r_eps is not None else \
                group["reps_rel"] * (1 + _sqrt0(sum((w * w).sum() for w in ws)))
        else:
            rbar = c["rbar"].maximum(_sqrt0(sum(((w - s["x0"]) * (w - s["x0"])).sum() for w, s in zip(ws, states))))
        r2 = rbar * rbar
        v = c["v"] + r2 * sum((g * g).sum() for g in gs)
        pos = v > 0
        ratio = Tensor.where(pos, r2 / Tensor.where(pos, v, 1.0).sqrt(), 0.0)
        ws2 = [w - (lr * ratio) * g for w, g, lr in zip(ws, gs, lrs)]
        return ws2, states, {"rbar": rbar, "v": v, "k": c["k"] + 1}

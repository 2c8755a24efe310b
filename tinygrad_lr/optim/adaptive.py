"""Per-coordinate adaptive methods: Adagrad, RMSprop, Adadelta, Adam, AdamW (formulas of torch.optim)."""
from .optimizer import Optimizer, check_betas, check_nonneg, off


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer 2011), as torch.optim.Adagrad:

        d = g + λ·w,   η_t = η / (1 + (t - 1)·lr_decay)
        S = S + d²,    w' = w - η_t · d / (√S + ε)          (S_0 = initial_accumulator_value)

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: η.
        lr_decay: the decay of η_t with the step t.
        weight_decay: λ.
        initial_accumulator_value: S_0.
        eps: ε.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value))

    def check_group(self, group):
        check_nonneg(group, "lr_decay", "weight_decay", "eps", "initial_accumulator_value")

    def init_state(self, w, group):
        return {"sum": w * 0.0 + group["initial_accumulator_value"]}

    def phi(self, w, g, state, lr, group, step):
        d = g if off(group["weight_decay"]) else g + group["weight_decay"] * w
        s = state["sum"] + d * d
        clr = lr / (1 + (step - 1) * group["lr_decay"])
        return w - clr * d / (s.sqrt() + group["eps"]), {"sum": s}


class RMSprop(Optimizer):
    r"""RMSprop (Tieleman & Hinton 2012, Coursera lecture 6.5; also in Nan Ye's lecture "Adaptive learning
    rates"), as torch.optim.RMSprop:

        d = g + λ·w
        v = α·v + (1 - α)·d²
        centered:  ḡ = α·ḡ + (1 - α)·d,   a = √(v - ḡ²) + ε      else  a = √v + ε
        momentum μ > 0:  b = μ·b + d/a,  w' = w - η·b             else  w' = w - η·d/a

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: η.
        alpha: α, the smoothing constant of v.
        eps: ε.
        weight_decay: λ.
        momentum: μ (0: none).
        centered: normalise by the centred second moment (an estimate of the variance).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def check_group(self, group):
        check_nonneg(group, "alpha", "eps", "weight_decay", "momentum")

    def init_state(self, w, group):
        st = {"square_avg": w * 0.0}
        if not off(group["momentum"]):
            st["momentum_buffer"] = w * 0.0
        if group["centered"]:
            st["grad_avg"] = w * 0.0
        return st

    def phi(self, w, g, state, lr, group, step):
        a, eps, mu = group["alpha"], group["eps"], group["momentum"]
        d = g if off(group["weight_decay"]) else g + group["weight_decay"] * w
        new = {"square_avg": a * state["square_avg"] + (1 - a) * d * d}
        if group["centered"]:
            new["grad_avg"] = a * state["grad_avg"] + (1 - a) * d
            avg = (new["square_avg"] - new["grad_avg"] * new["grad_avg"]).sqrt() + eps
        else:
            avg = new["square_avg"].sqrt() + eps
        if not off(mu):
            new["momentum_buffer"] = mu * state["momentum_buffer"] + d / avg
            return w - lr * new["momentum_buffer"], new
        return w - lr * d / avg, new


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012, "ADADELTA: an adaptive learning rate method", arXiv:1212.5701), as torch.optim.Adadelta:

        d = g + λ·w
        v = ρ·v + (1 - ρ)·d²
        Δ = √(u + ε) / √(v + ε) · d
        u = ρ·u + (1 - ρ)·Δ²
        w' = w - η·Δ                       (η = 1 in Zeiler's paper and by default)

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: η (1 by default, as the paper).
        rho: ρ, the decay of both averages.
        eps: ε.
        weight_decay: λ.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def check_group(self, group):
        check_nonneg(group, "eps", "weight_decay")
        if not 0.0 <= group["rho"] <= 1.0:
            raise ValueError(f"invalid rho: {group['rho']} (must be in [0, 1])")

    def init_state(self, w, group):
        return {"square_avg": w * 0.0, "acc_delta": w * 0.0}

    def phi(self, w, g, state, lr, group, step):
        rho, eps = group["rho"], group["eps"]
        d = g if off(group["weight_decay"]) else g + group["weight_decay"] * w
        v = rho * state["square_avg"] + (1 - rho) * d * d
        delta = (state["acc_delta"] + eps).sqrt() / (v + eps).sqrt() * d
        u = rho * state["acc_delta"] + (1 - rho) * delta * delta
        return w - lr * delta, {"square_avg": v, "acc_delta": u}


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015), as torch.optim.Adam (L2 weight decay added to the gradient):

        d = g + λ·w
        m = β1·m + (1 - β1)·d,     v = β2·v + (1 - β2)·d²
        amsgrad:  v̄ = max(v̄, v)  and v̄ replaces v below
        w' = w - η/(1 - β1^t) · m / (√v / √(1 - β2^t) + ε)

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: η.
        betas: (β1, β2), the decays of m and v.
        eps: ε.
        weight_decay: λ, an L2 term added to the gradient (AdamW decouples it).
        amsgrad: use the running maximum v̄ (Reddi, Kale & Kumar 2018).
    """
    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad))

    def check_group(self, group):
        check_nonneg(group, "eps", "weight_decay")
        check_betas(group)

    def init_state(self, w, group):
        st = {"exp_avg": w * 0.0, "exp_avg_sq": w * 0.0}
        if group["amsgrad"]:
            st["max_exp_avg_sq"] = w * 0.0
        return st

    def phi(self, w, g, state, lr, group, step):
        (b1, b2), eps, wd = group["betas"], group["eps"], group["weight_decay"]
        if not off(wd) and self.decoupled:
            w = w * (1 - lr * wd)
        elif not off(wd):
            g = g + wd * w
        new = {"exp_avg": b1 * state["exp_avg"] + (1 - b1) * g,
               "exp_avg_sq": b2 * state["exp_avg_sq"] + (1 - b2) * g * g}
        v = new["exp_avg_sq"]
        if group["amsgrad"]:
            v = new["max_exp_avg_sq"] = state["max_exp_avg_sq"].maximum(v)
        bc1, bc2 = 1 - b1 ** step, 1 - b2 ** step
        denom = v.sqrt() / bc2 ** 0.5 + eps
        return w - (lr / bc1) * new["exp_avg"] / denom, new


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter 2019), as torch.optim.AdamW: Adam with decoupled weight decay,
    w ← w·(1 - η·λ) before the Adam step (default λ = 1e-2).

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: η.
        betas: (β1, β2).
        eps: ε.
        weight_decay: λ, decoupled: w·(1 - η·λ) before the Adam step.
        amsgrad: as Adam's.
    """
    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)

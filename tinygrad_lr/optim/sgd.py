"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD)."""
from .optimizer import Optimizer, check_nonneg, off


class SGD(Optimizer):
    r"""SGD, exactly as torch.optim.SGD:

        d = g + λ·w
        b_1 = d,   b_t = μ·b_{t-1} + (1 - τ)·d            (momentum μ > 0; dampening τ)
        d = d + μ·b_t  (nesterov)   or   d = b_t
        w' = w - η·d

    Sources: Robbins & Monro (1951); Polyak (1964) momentum; Sutskever et al. (2013) for the Nesterov form;
    PyTorch's documentation for the first-step buffer b_1 = d and dampening.

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: η.
        momentum: μ (0: none).
        dampening: τ.
        weight_decay: λ, an L2 term added to the gradient.
        nesterov: the Nesterov form (needs momentum > 0 and dampening 0).
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def check_group(self, group):
        check_nonneg(group, "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"nesterov needs momentum > 0 and dampening = 0, got momentum {group['momentum']}, "
                             f"dampening {group['dampening']}")

    def init_state(self, w, group):
        return {"momentum_buffer": w * 0.0} if not off(group["momentum"]) else {}

    def phi(self, w, g, state, lr, group, step):
        mu, wd = group["momentum"], group["weight_decay"]
        d = g if off(wd) else g + wd * w
        if off(mu):
            return w - lr * d, {}
        buf = d if step == 1 else mu * state["momentum_buffer"] + (1 - group["dampening"]) * d
        d = d + mu * buf if group["nesterov"] else buf
        return w - lr * d, {"momentum_buffer": buf}

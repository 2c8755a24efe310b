"""Fischer's "+" methods (Fischer 2020, "An adaptive learning rate method for gradient descent
algorithms", blog post; see docs/sources.md): η updated by the product of successive raw gradients."""
from ..tensor import Tensor
from .base import LRMethod


class FischerPlus(LRMethod):
    r"""GD+, GDM+, NAG+, Adam+ (Fischer 2020): before each step of the wrapped optimizer

        element:  η_i ← η_i + α·g_i^{(t)}·g_i^{(t-1)}
        global:   η ← η + α·(1/|Ω|)·Σ_i g_i^{(t)}·g_i^{(t-1)}            (Ω: all trainable parameters)

    with the RAW gradients g, whatever the optimizer (Fischer's rule). On plain SGD the element rule is exactly
    FirstOrder(granularity="element") with β = α; the global rule averages where FirstOrder sums, so there
    β = α/|Ω|. On momentum or Adam the two differ: FirstOrder differentiates the optimizer's update, Fischer
    keeps the raw gradient. `loss = h.step(closure)`.

    Args:
        optimizer: the optimizer to wrap (SGD for GD+, momentum for GDM+, Nesterov for NAG+, Adam for Adam+).
        alpha: α, the step size of the η update.
        granularity: "element" (one η per entry, Fischer's) or "global".
        lr_bounds: (low, high) for η, either may be None.
    """

    def __init__(self, optimizer, alpha, granularity="element", lr_bounds=None):
        if granularity not in ("element", "global"):
            raise ValueError(f"FischerPlus granularity must be 'element' or 'global', got {granularity!r}")
        super().__init__(optimizer, granularity, lr_bounds)
        self.alpha, self.prev = alpha, None
        self.n = sum(p.numel() for p in self.params)

    def step(self, closure):
        """One step: closure() returns the loss Tensor of the current batch (without calling backward); η moves
        by the product of this and the previous gradient, then the optimizer steps with it. Returns the loss."""
        loss, grads = self.loss_and_grads(closure)
        if grads is None:
            return loss
        h = None
        if self.prev is not None:
            prods = [g.data * q.data for g, q in zip(grads, self.prev)]
            if self.granularity == "global":
                h = -float(sum(x.sum(dtype="float64") for x in prods)) / self.n
                self._move_eta(self.alpha * h)
            else:
                h = [-x for x in prods]
                self._move_eta([self.alpha * x for x in h])
        self.apply_step(grads)
        self.prev = [g.detach() for g in grads]
        self.record(loss, h)
        self.t += 1
        return loss

    def extra_state(self):
        return {"prev": None if self.prev is None else [g.numpy().copy() for g in self.prev]}

    def check_extra_state(self, state):
        prev = state.get("prev")
        if prev is not None and [tuple(a.shape) for a in prev] != [p.shape for p in self.params]:
            raise ValueError(f"load_state_dict: the previous gradients in the state dict have shapes "
                             f"{[tuple(a.shape) for a in prev]}, the parameters {[p.shape for p in self.params]}")

    def load_extra_state(self, state):
        prev = state.get("prev")
        self.prev = None if prev is None else [Tensor(a, device=p.device, dtype=p.dtype)
                                               for a, p in zip(prev, self.params)]

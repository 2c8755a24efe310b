"""Diagonal Newton (Nan Ye, lecture "Adaptive learning rates", University of Queensland):
w_i ← w_i - g_i / (h_i + ε), with the Hessian diagonal h estimated by
Hutchinson's method from Hessian-vector products with Rademacher vectors (as AdaHessian does)."""
from ..autograd import enable_grad, grad, no_grad
from ..backend import rng
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonneg, off


class DiagonalNewton(Optimizer):
    r"""Diagonal-Newton step with a Hutchinson estimate of diag(H):

        ĥ = mean_k |z_k ⊙ H z_k|,   z_k ∈ {-1, +1}^n Rademacher           (E[z ⊙ Hz] = diag H)
        D_t = β·D_{t-1} + (1 - β)·ĥ,   D̂_t = D_t / (1 - β^t)               (β = 0: no averaging)
        w' = w - η · (g + λ·w) / (D̂_t + ε)

    Sources: the lecture's diagonal approximation of Newton's method (see docs/sources.md); Bekas, Kokiopoulou & Saad
    (2007) and Yao et al. (2021, AdaHessian) for the Hutchinson estimate; |·| keeps the step a descent
    direction where the curvature is negative. Needs step(closure): each step costs n_samples HVPs.

    Args:
        params: the parameters: an iterable of Tensors, or of param groups (dicts), as torch.
        lr: η.
        eps: ε, added to the curvature estimate.
        beta: β, the averaging of the estimates (0: none).
        n_samples: Rademacher probes z_k per step (one HVP each).
        weight_decay: λ.
    """
    needs_graph = True

    def __init__(self, params, lr=1.0, eps=1e-4, beta=0.0, n_samples=1, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, eps=eps, beta=beta, n_samples=n_samples, weight_decay=weight_decay))

    def check_group(self, group):
        check_nonneg(group, "eps", "weight_decay")
        if not 0.0 <= group["beta"] < 1.0:
            raise ValueError(f"invalid beta: {group['beta']} (must be in [0, 1))")
        if int(group["n_samples"]) < 1:
            raise ValueError(f"invalid n_samples: {group['n_samples']} (must be >= 1)")

    def init_state(self, w, group):
        return {"hess_avg": w * 0.0}

    def prepare(self, params, grads):
        n = max(int(g["n_samples"]) for g in self.param_groups)
        pairs = [(p, g) for p, g in zip(params, grads) if g is not None and g.requires_grad]
        est = {id(p): 0.0 for p, _ in pairs}
        for _ in range(n):
            zs = [Tensor.wrap((rng(p.device).integers(0, 2, p.shape) * 2 - 1).astype(p.dtype), p.device)
                  for p, _ in pairs]
            hz = grad([g for _, g in pairs], [p for p, _ in pairs], zs, retain_graph=True, allow_unused=True)
            with no_grad():
                for (p, _), z, h in zip(pairs, zs, hz):
                    if h is not None:
                        est[id(p)] = est[id(p)] + (z * h).abs() * (1.0 / n)
        for group in self.param_groups:
            for p in group["params"]:
                if id(p) in est:
                    self.get_state(p, group)["hess_sample"] = Tensor.zeros_like(p) + est[id(p)]

    def phi(self, w, g, state, lr, group, step):
        b = group["beta"]
        h = state["hess_avg"] * b + state["hess_sample"] * (1 - b)
        d = g if off(group["weight_decay"]) else g + group["weight_decay"] * w
        return w - lr * d / (h * (1 / (1 - b ** step)) + group["eps"]), {"hess_avg": h}

    def step(self, closure=None):
        if closure is None:
            raise ValueError("DiagonalNewton needs step(closure): the closure returns the loss, whose graph the "
                             "Hessian-vector products differentiate")
        with enable_grad():
            loss = closure()
            params = [p for p in self.params()]
            grads = grad(loss, params, create_graph=True, allow_unused=True)
        self.prepare(params, grads)
        self.apply_phi(grads)
        return loss

"""Unrolled differentiation: run T steps of the optimizer's Φ with the graph on and η a leaf, so that
reverse mode through the whole run gives dw_T/dη and dE(w_T)/dη exactly (the check for the tangents)."""
from ..autograd import enable_grad, grad
from ..optim.optimizer import get_hyper, group_view, has_hyper
from ..tensor import Tensor


def unrolled_run(optimizer, loss_fn, steps, lr=None, wrt="lr"):
    """Returns (weights after `steps` updates, the leaf of the hyper-parameter `wrt`). loss_fn(weights, t)
    computes the training loss of step t from the list of weight Tensors (the optimizer's parameters give the
    start w_0 and its state s_0). wrt: "lr" (default; its value `lr`, else the first group's) or any float
    hyper-parameter of the param groups ("momentum", "beta1", "weight_decay", ...), held at its first group's value
    in every group. The same leaf is used at every step, so d(anything)/dθ sums over all steps."""
    params = optimizer.params()
    first = optimizer.param_groups[0]
    if wrt != "lr" and not has_hyper(first, wrt):
        raise ValueError(f"unrolled_run: {type(optimizer).__name__} has no hyper-parameter {wrt!r}")
    value = (first["lr"] if lr is None else lr) if wrt == "lr" else get_hyper(first, wrt)
    theta = Tensor(float(value), requires_grad=True, dtype=params[0].dtype, device=params[0].device)
    groups = [g if wrt == "lr" else group_view(g, {wrt: theta}) for g in optimizer.param_groups]
    with enable_grad():
        ws = [p.detach().requires_grad_() for p in params]
        per_param = [gr for gr, g in zip(groups, optimizer.param_groups) for _ in g["params"]]
        states = [optimizer.init_state(p.detach(), gr) for p, gr in zip(params, per_param)]
        cs = [optimizer.init_group_state(gr) for gr in groups]
        for t in range(steps):
            loss = loss_fn(ws, t)
            gs = grad(loss, ws, create_graph=True, allow_unused=True)
            gs = [Tensor.zeros_like(w) if g is None else g for w, g in zip(ws, gs)]
            i0 = 0
            for k, gr in enumerate(groups):  # Φ of each group, as apply_phi applies it
                sl = slice(i0, i0 + len(gr["params"]))
                i0 = sl.stop
                n = sl.stop - sl.start
                eta = theta if wrt == "lr" else (gr["lr"] if lr is None else lr)
                ws[sl], states[sl], cs[k] = optimizer.phi_group(ws[sl], gs[sl], states[sl], cs[k], [eta] * n, gr,
                                                                [t + 1] * n, loss.detach())
    return ws, theta

"""Unrolled differentiation: run T steps of the optimizer's Φ with the graph on and η a leaf, so that
reverse mode through the whole run gives dw_T/dη and dE(w_T)/dη exactly (the check for the tangents)."""
from ..autograd import enable_grad, grad
from ..tensor import Tensor


def unrolled_run(optimizer, loss_fn, steps, lr):
    """Returns (weights after `steps` updates, the η leaf). loss_fn(weights, t) computes the training loss of
    step t from the list of weight Tensors (the optimizer's parameters give the start w_0 and its state s_0).
    The same η is used at every step, so d(anything)/dη sums over all steps."""
    params = optimizer.params()
    groups = [g for g in optimizer.param_groups for _ in g["params"]]
    eta = Tensor(float(lr), requires_grad=True, dtype=params[0].dtype, device=params[0].device)
    with enable_grad():
        ws = [p.detach().requires_grad_() for p in params]
        states = [optimizer.init_state(p.detach(), gr) for p, gr in zip(params, groups)]
        cs = [optimizer.init_group_state(gr) for gr in optimizer.param_groups]
        for t in range(steps):
            loss = loss_fn(ws, t)
            gs = grad(loss, ws, create_graph=True, allow_unused=True)
            gs = [Tensor.zeros_like(w) if g is None else g for w, g in zip(ws, gs)]
            i0 = 0
            for k, gr in enumerate(optimizer.param_groups):  # Φ of each group, as apply_phi applies it
                sl = slice(i0, i0 + len(gr["params"]))
                i0 = sl.stop
                n = sl.stop - sl.start
                ws[sl], states[sl], cs[k] = optimizer.phi_group(ws[sl], gs[sl], states[sl], cs[k], [eta] * n, gr,
                                                                [t + 1] * n, loss.detach())
    return ws, eta

"""Optimizers step by step against independent NumPy implementations of torch.optim's formulas (float64)."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import Tensor, optim
from tinygrad_lr.optim import lr_scheduler


def ref_sgd(w, g, st, t, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    d = g + weight_decay * w
    if momentum:
        st["b"] = d.copy() if t == 1 else momentum * st["b"] + (1 - dampening) * d
        d = d + momentum * st["b"] if nesterov else st["b"]
    return w - lr * d


def ref_adam(w, g, st, t, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    b1, b2 = betas
    if decoupled:
        w = w * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * w
    st["m"] = b1 * st.get("m", 0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0) + (1 - b2) * g * g
    v = st["v"]
    if amsgrad:
        st["vmax"] = np.maximum(st.get("vmax", 0), v)
        v = st["vmax"]
    denom = np.sqrt(v) / np.sqrt(1 - b2 ** t) + eps
    return w - lr / (1 - b1 ** t) * st["m"] / denom


def ref_adagrad(w, g, st, t, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
    g = g + weight_decay * w
    st["s"] = st.get("s", initial_accumulator_value) + g * g
    return w - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(st["s"]) + eps)


def ref_rmsprop(w, g, st, t, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    g = g + weight_decay * w
    st["v"] = alpha * st.get("v", 0) + (1 - alpha) * g * g
    if centered:
        st["ga"] = alpha * st.get("ga", 0) + (1 - alpha) * g
        avg = np.sqrt(st["v"] - st["ga"] ** 2) + eps
    else:
        avg = np.sqrt(st["v"]) + eps
    if momentum:
        st["b"] = momentum * st.get("b", 0) + g / avg
        return w - lr * st["b"]
    return w - lr * g / avg


def ref_adadelta(w, g, st, t, lr, rho=0.9, eps=1e-6, weight_decay=0.0):
    g = g + weight_decay * w
    st["v"] = rho * st.get("v", 0) + (1 - rho) * g * g
    delta = np.sqrt(st.get("u", 0) + eps) / np.sqrt(st["v"] + eps) * g
    st["u"] = rho * st.get("u", 0) + (1 - rho) * delta * delta
    return w - lr * delta


CASES = [
    (optim.SGD, ref_sgd, dict(lr=0.1)),
    (optim.SGD, ref_sgd, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    (optim.SGD, ref_sgd, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (optim.Adam, ref_adam, dict(lr=0.01)),
    (optim.Adam, ref_adam, dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    (optim.AdamW, lambda *a, **k: ref_adam(*a, decoupled=True, **k), dict(lr=0.01, weight_decay=0.1)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1)),
    (optim.Adagrad, ref_adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.01, initial_accumulator_value=0.5)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01)),
    (optim.RMSprop, ref_rmsprop, dict(lr=0.01, alpha=0.9, momentum=0.7, centered=True, weight_decay=0.01)),
    (optim.Adadelta, ref_adadelta, dict(lr=1.0)),
    (optim.Adadelta, ref_adadelta, dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.05)),
]


@pytest.mark.parametrize("cls,ref,kw", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_optimizer_matches_reference(cls, ref, kw, rng):
    shapes = [(3, 4), (4,)]
    ws = [rng.standard_normal(s) for s in shapes]
    params = [Tensor(w.copy(), requires_grad=True) for w in ws]
    opt = cls(params, **kw)
    states = [{} for _ in ws]
    for t in range(1, 8):
        gs = [rng.standard_normal(s) for s in shapes]
        for p, g in zip(params, gs):
            p.grad = Tensor(g)
        opt.step()
        ws = [ref(w, g, st, t, **kw) for w, g, st in zip(ws, gs, states)]
        for p, w in zip(params, ws):
            np.testing.assert_allclose(p.numpy(), w, rtol=1e-12, atol=1e-13)


def test_step_skips_params_without_grad_and_closure_returns_loss(rng):
    a, b = Tensor(rng.standard_normal(3), requires_grad=True), Tensor(rng.standard_normal(3), requires_grad=True)
    b0 = b.numpy().copy()
    opt = optim.SGD([a, b], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert abs(loss.item() - float((a.numpy() / 0.8) @ (a.numpy() / 0.8))) < 1e-9  # a ← 0.8·a
    np.testing.assert_array_equal(b.numpy(), b0)


def test_param_groups_and_state_dict_roundtrip(rng):
    w1, w2 = (Tensor(rng.standard_normal(4), requires_grad=True) for _ in range(2))
    opt = optim.Adam([{"params": [w1]}, {"params": [w2], "lr": 0.1}], lr=0.01)
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.1]
    for _ in range(3):
        w1.grad, w2.grad = Tensor(rng.standard_normal(4)), Tensor(rng.standard_normal(4))
        opt.step()
    sd = opt.state_dict()
    v1, v2 = Tensor(w1.numpy(), requires_grad=True), Tensor(w2.numpy(), requires_grad=True)
    opt2 = optim.Adam([{"params": [v1]}, {"params": [v2], "lr": 0.5}], lr=0.01)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[1]["lr"] == 0.1
    g1, g2 = rng.standard_normal(4), rng.standard_normal(4)
    for p, q in ((w1, v1), (w2, v2)):
        p.grad, q.grad = Tensor(g1 if p is w1 else g2), Tensor(g1 if q is v1 else g2)
    opt.step()
    opt2.step()
    np.testing.assert_array_equal(w1.numpy(), v1.numpy())
    np.testing.assert_array_equal(w2.numpy(), v2.numpy())


def test_diagonal_newton_solves_separable_quadratic():
    # f = Σ a_i x_i² / 2: diag H = a exactly (Hutchinson is exact for a diagonal H), one Newton step lands on 0
    a = np.array([1.0, 10.0, 100.0])
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    opt = optim.DiagonalNewton([x], lr=1.0, eps=0.0)
    opt.step(lambda: (Tensor(a) * x * x).sum() * 0.5)
    np.testing.assert_allclose(x.numpy(), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="closure"):
        opt.step()


def _lrs(make, steps, lr=1.0):
    """The lr of an SGD group before and after each of `steps` scheduler steps."""
    opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=lr)
    s = make(opt)
    seen = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        s.step()
        seen.append(opt.param_groups[0]["lr"])
    return seen


def test_schedulers():
    assert _lrs(lambda o: lr_scheduler.StepLR(o, step_size=2, gamma=0.5), 5) == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    assert abs(_lrs(lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), 2, lr=2.0)[-1] - 2.0 * 0.81) < 1e-12
    assert abs(_lrs(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.1), 5)[-1]
               - (0.1 + 0.9 * 0.5)) < 1e-12
    seen = _lrs(lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.3), 9)
    assert abs(seen[0] - 1 / 25) < 1e-12 and abs(max(seen) - 1.0) < 1e-12 and seen[-1] < 1e-4
    np.testing.assert_allclose(_lrs(lambda o: lr_scheduler.CyclicLR(o, base_lr=0.1, max_lr=1.0, step_size_up=2), 4),
                               [0.1, 0.55, 1.0, 0.55, 0.1])
    np.testing.assert_allclose(_lrs(lambda o: lr_scheduler.TrapezoidLR(o, total_steps=10, warmup=2, cooldown=2), 9),
                               [0.5, 1, 1, 1, 1, 1, 1, 1, 1.0, 0.5])
    opt = optim.SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    s = lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    for m in [1.0, 0.9, 0.95, 0.95, 0.95]:
        s.step(m)
    assert opt.param_groups[0]["lr"] == 0.5


# ---- bad input --------------------------------------------------------------------------------------------------
def test_bad_hyperparameters():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="lr: -0.1"):
        optim.SGD([w], lr=-0.1)
    with pytest.raises(ValueError, match="eps: -1e-08"):
        optim.Adam([w], eps=-1e-8)
    with pytest.raises(ValueError, match=r"betas\[1\]: 1.0"):
        optim.Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"betas\[0\]: -0.1"):
        optim.AdamW([w], betas=(-0.1, 0.9))
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([w], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)


def test_tensor_without_grad_refused():
    with pytest.raises(ValueError, match=r"shape \(2, 3\) that does not require grad"):
        optim.SGD([Tensor.zeros(2, 3)], lr=0.1)


def test_load_state_dict_from_other_optimizer_type():
    w = Tensor([1.0], requires_grad=True)
    sd = optim.SGD([w], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="Adam.*SGD"):
        optim.Adam([w]).load_state_dict(sd)


def test_float32_params_stay_float32():
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    assert w.dtype == np.float32 and opt.state[w]["exp_avg"].dtype == np.float32
    assert tl.is_grad_enabled()

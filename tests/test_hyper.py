"""Truth tests for the learning-rate methods (float64): the source documents' own numbers (docs/sources.md),
published rules written out in NumPy, and the tangent recursion against reverse mode through the unrolled run and
finite differences."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, hyper, optim

from helpers import fixed_eta_run

# ---- the worked example of "Introduction to neural network optimizers [part 2] - adaptive learning rates" -------
# E(w) = 3 w1² + 10 w2², w0 = (-15, 20); the expected w(1), w(2) are the article's, rounded to 2 decimals
# (docs/sources.md, "Numerical example")


def _worked_example(opt_fn, steps=2):
    w = Tensor(np.array([-15.0, 20.0]), requires_grad=True)
    opt = opt_fn([w])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (3 * w[0] ** 2 + 10 * w[1] ** 2).backward()
        opt.step()
        out.append(w.numpy().copy())
    return out


def test_worked_example_gradient_descent():
    w1, w2 = _worked_example(lambda p: optim.SGD(p, lr=0.001))
    np.testing.assert_allclose(w1, [-14.91, 19.6], atol=5e-3)
    np.testing.assert_allclose(w2, [-14.82, 19.21], atol=5e-3)


def test_worked_example_rmsprop_scheme():
    # s = βs + (1-β)g², w -= η g/√(s+ε): torch's RMSprop puts ε outside the root, invisible at ε = 1e-8
    w1, w2 = _worked_example(lambda p: optim.RMSprop(p, lr=0.05, alpha=0.9, eps=1e-8))
    np.testing.assert_allclose(w1, [-14.84, 19.84], atol=5e-3)
    np.testing.assert_allclose(w2, [-14.73, 19.73], atol=5e-3)


# ---- first-order hypergradient = published rules --------------------------------------------------------------
def _lsq_problem(seed=0, n=40, d=5):
    r = np.random.default_rng(seed)
    A, b = r.standard_normal((n, d)), r.standard_normal(n)
    batches = [r.choice(n, 10, replace=False) for _ in range(60)]
    return A, b, batches


def test_first_order_sgd_is_baydin_rule():
    A, b, batches = _lsq_problem()
    w = Tensor(np.zeros(5), requires_grad=True)
    h = hyper.FirstOrder(optim.SGD([w], lr=0.01), hyper_lr=1e-5)
    for t in range(50):
        idx = batches[t]
        h.step(lambda: 0.5 * ((Tensor(A[idx]) @ w - Tensor(b[idx])) ** 2).sum())
    # the 10-line NumPy reference: η_t = η_{t-1} + β g_t·g_{t-1};  w ← w - η_t g_t
    wr, eta, g_prev = np.zeros(5), 0.01, None
    for t in range(50):
        idx = batches[t]
        g = A[idx].T @ (A[idx] @ wr - b[idx])
        if g_prev is not None:
            eta += 1e-5 * g @ g_prev
        wr, g_prev = wr - eta * g, g
    np.testing.assert_allclose(w.numpy(), wr, rtol=1e-12, atol=1e-12)
    assert abs(h.lr - eta) < 1e-12
    assert len(h.history) == 50 and h.history[-1]["lr"] == h.lr


def test_first_order_adam_is_adam_hd():
    A, b, batches = _lsq_problem(1)
    w = Tensor(np.zeros(5), requires_grad=True)
    h = hyper.FirstOrder(optim.Adam([w], lr=0.05, betas=(0.9, 0.99)), hyper_lr=1e-4)
    for t in range(50):
        idx = batches[t]
        h.step(lambda: 0.5 * ((Tensor(A[idx]) @ w - Tensor(b[idx])) ** 2).sum())
    # Baydin et al. (2018), "Online learning rate adaptation with hypergradient descent", arXiv:1703.04782: Adam-HD
    th, m, v, alpha, u_prev = np.zeros(5), np.zeros(5), np.zeros(5), 0.05, np.zeros(5)
    b1, b2, eps = 0.9, 0.99, 1e-8
    for t in range(1, 51):
        idx = batches[t - 1]
        g = A[idx].T @ (A[idx] @ th - b[idx])
        alpha = alpha - 1e-4 * (g @ u_prev)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        u = -(m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        th, u_prev = th + alpha * u, u
    np.testing.assert_allclose(w.numpy(), th, rtol=1e-10, atol=1e-12)
    assert abs(h.lr - alpha) < 1e-12


def _beale_grad(x, y):
    a, b_, c = 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3
    return (2 * a * (y - 1) + 2 * b_ * (y ** 2 - 1) + 2 * c * (y ** 3 - 1),
            2 * a * x + 2 * b_ * 2 * x * y + 2 * c * 3 * x * y ** 2)


def test_fischer_plus_gd_on_beale_matches_fischer_pseudocode():
    x, y = Tensor(-2.0, dtype=np.float64, requires_grad=True), Tensor(-1.0, dtype=np.float64, requires_grad=True)
    h = hyper.FischerPlus(optim.SGD([x, y], lr=0.01), alpha=1e-4)
    for _ in range(200):
        h.step(lambda: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2)
    # GD+ as Fischer (2020) writes it ("Implementation" section, gradient_descent()), in NumPy, with analytic
    # derivatives; η = 0.01, α = 1e-4: the GD+ column of his hyper-parameter table; start (-2, -1): docs/sources.md
    xr, yr, eta_x, eta_y, dx_old, dy_old = -2.0, -1.0, 0.01, 0.01, 0.0, 0.0
    for _ in range(200):
        dx, dy = _beale_grad(xr, yr)
        eta_x += 1e-4 * dx * dx_old
        eta_y += 1e-4 * dy * dy_old
        xr, yr = xr - eta_x * dx, yr - eta_y * dy
        dx_old, dy_old = dx, dy
    np.testing.assert_allclose([x.item(), y.item()], [xr, yr], rtol=1e-10)
    np.testing.assert_allclose([float(e) for e in h.lr], [eta_x, eta_y], rtol=1e-10)


def test_fischer_plus_global_uses_mean_product():
    w = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    h = hyper.FischerPlus(optim.SGD([w], lr=0.1), alpha=0.01, granularity="global")
    g1 = 2 * w.numpy()
    h.step(lambda: (w * w).sum())
    g2 = 2 * w.numpy()
    h.step(lambda: (w * w).sum())
    assert abs(h.lr - (0.1 + 0.01 * (g1 @ g2) / 3)) < 1e-12


# ---- RT-HPO: the tangent equals dw_T/dη three ways ----------------------------------------------------------
X = np.random.default_rng(5).standard_normal((16, 5))
Y = np.random.default_rng(6).integers(0, 3, 16)


def _mlp_params():
    r = np.random.default_rng(1)
    return [Tensor(r.standard_normal((6, 5)) * 0.5, requires_grad=True), Tensor(np.zeros(6), requires_grad=True),
            Tensor(r.standard_normal((3, 6)) * 0.5, requires_grad=True), Tensor(np.zeros(3), requires_grad=True)]


def _mlp_loss(ws, t):
    lo = (4 * t) % 12
    h = F.linear(Tensor(X[lo:lo + 6]), ws[0], ws[1]).tanh()
    return F.cross_entropy(F.linear(h, ws[2], ws[3]), Y[lo:lo + 6])


def _val_loss(ws):
    return F.cross_entropy(F.linear(F.linear(Tensor(X[10:]), ws[0], ws[1]).tanh(), ws[2], ws[3]), Y[10:])


class _GroupNormSGD(optim.Optimizer):
    """AdaGrad-Norm (Ward, Wu & Bottou 2019): w' = w - η·g/√G, G' = G + Σ over the whole group of ‖g‖², G_0 = 1.
    A Φ that couples the parameters through a group state: its tangent has a group component."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))

    def init_group_state(self, group):
        p = group["params"][0]
        return {"G": Tensor.ones((), dtype=p.dtype, device=p.device)}

    def phi_group(self, ws, gs, states, c, lrs, group, steps, loss=None):
        G = c["G"]
        for g in gs:
            G = G + (g * g).sum()
        inv = 1.0 / G.sqrt()
        return [w - lr * g * inv for w, g, lr in zip(ws, gs, lrs)], states, {"G": G}


OPTS = {
    "group_norm_sgd": lambda p: _GroupNormSGD(p, lr=0.5),
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "momentum": lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
    "nesterov": lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "adam": lambda p: optim.Adam(p, lr=0.01),
    "rmsprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5),
}


def _flat(ts):
    return np.concatenate([t.numpy().ravel() for t in ts])


@pytest.mark.parametrize("name", list(OPTS))
def test_rthpo_tangent_equals_unrolled_and_finite_differences(name):
    T = 20
    ps = _mlp_params()
    opt = OPTS[name](ps)
    eta0 = opt.param_groups[0]["lr"]
    h = hyper.RTHPO(opt, hyper_lr=0.0)  # η held fixed, so dw_T/dη is the derivative of the whole run
    for t in range(T):
        h.step(lambda: _mlp_loss(ps, t))
    z = _flat([h.z[0][(i, None)] for i in range(len(ps))])
    # 1) reverse mode through the unrolled run (create_graph through every step), one backward per entry
    ws, eta = hyper.unrolled_run(OPTS[name](_mlp_params()), _mlp_loss, T, eta0)
    np.testing.assert_allclose(_flat(ws), _flat(ps), rtol=1e-12, atol=1e-12)
    rev = []
    for w in ws:
        for j in range(w.numel()):
            sel = np.zeros(w.shape)
            sel.flat[j] = 1.0
            rev.append(tl.grad((w * Tensor(sel)).sum(), eta, retain_graph=True)[0].item())
    np.testing.assert_allclose(z, rev, rtol=1e-9, atol=1e-11)
    # 2) central differences of the whole run in η
    def run(e):
        return fixed_eta_run(OPTS[name], _mlp_params, _mlp_loss, e, T)
    eps = 1e-6
    fd = (_flat(run(eta0 + eps)) - _flat(run(eta0 - eps))) / (2 * eps)
    np.testing.assert_allclose(z, fd, rtol=1e-4, atol=1e-6)
    # the hypergradient h = ∇E(w_T)·z_T equals dE(w_T)/dη the same three ways
    gE = tl.grad(_val_loss(ps), ps)
    hyper_grad = float(sum((g.numpy() * h.z[0][(i, None)].numpy()).sum() for i, g in enumerate(gE)))
    unrolled = tl.grad(_val_loss(ws), eta)[0].item()
    fd_E = (_val_loss(run(eta0 + eps)).item() - _val_loss(run(eta0 - eps)).item()) / (2 * eps)
    assert abs(hyper_grad - unrolled) < 1e-9 * max(1, abs(unrolled))
    assert abs(hyper_grad - fd_E) < 1e-5 * max(1, abs(fd_E))


def test_rthpo_val_hypergradient_uses_val_loss_and_moves_eta():
    ps = _mlp_params()
    h = hyper.RTHPO(optim.SGD(ps, lr=0.1), hyper_lr=1e-3, val_closure=lambda: _val_loss(ps))
    for t in range(3):
        h.step(lambda: _mlp_loss(ps, t))
    z = h.z  # h_3 = ∇E_val(w_3)·z_3 moves η at the next step
    expect = float(sum((g.numpy() * z[0][(i, None)].numpy()).sum() for i, g in enumerate(tl.grad(_val_loss(ps), ps))))
    eta_before = h.lr
    h.step(lambda: _mlp_loss(ps, 3))
    assert abs(h.history[-1]["hypergrad"] - expect) < 1e-12
    assert abs(h.lr - (eta_before - 1e-3 * expect)) < 1e-15


def test_per_tensor_rthpo_matches_finite_differences_per_eta():
    T = 6
    ps = _mlp_params()
    h = hyper.Hypergradient(optim.SGD(ps, lr=0.1, momentum=0.5), hyper_lr=0.0, mu=1.0, granularity="tensor")
    for t in range(T):
        h.step(lambda: _mlp_loss(ps, t))
    assert len(h.z) == len(ps)
    eps = 1e-6
    for k in (0, 3):
        def run(e):
            p3 = _mlp_params()
            o3 = optim.SGD([{"params": [p], "lr": (e if i == k else 0.1)} for i, p in enumerate(p3)], lr=0.1,
                           momentum=0.5)
            for t in range(T):
                o3.zero_grad()
                _mlp_loss(p3, t).backward()
                o3.step()
            return _flat(p3)
        fd = (run(0.1 + eps) - run(0.1 - eps)) / (2 * eps)
        np.testing.assert_allclose(_flat([h.z[k][(i, None)] for i in range(len(ps))]), fd, rtol=1e-4, atol=1e-7)


def test_element_first_order_sgd_is_elementwise_rule():
    A, b, batches = _lsq_problem(2)
    w = Tensor(np.zeros(5), requires_grad=True)
    h = hyper.FirstOrder(optim.SGD([w], lr=0.01), hyper_lr=1e-5, granularity="element")
    wr, eta, g_prev = np.zeros(5), np.full(5, 0.01), None
    for t in range(20):
        idx = batches[t]
        h.step(lambda: 0.5 * ((Tensor(A[idx]) @ w - Tensor(b[idx])) ** 2).sum())
        g = A[idx].T @ (A[idx] @ wr - b[idx])
        if g_prev is not None:
            eta = eta + 1e-5 * g * g_prev
        wr, g_prev = wr - eta * g, g
    np.testing.assert_allclose(w.numpy(), wr, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tl.backend.to_host(h.lr[0]), eta, rtol=1e-12)


# ---- LOSSGRAD -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lam,h0", [(4.0, 1e-4), (0.5, 10.0)])
def test_lossgrad_settles_near_optimal_step(lam, h0):
    x = Tensor(np.array([3.0]), requires_grad=True)
    h = hyper.LossGrad(optim.SGD([x], lr=h0), c=1.05)
    for _ in range(400):
        h.step(lambda: 0.5 * lam * (x * x).sum())
        if abs(x.item()) < 1e-6:
            x.data[...] = 3.0  # keep lred = h·λ²x² far above the 1e-25 of rel_err; the step size is tested
    # rel_err = h·λ/2 on this quadratic, so h oscillates around 1/λ within a factor c
    assert 1 / lam / 1.05 <= h.lr <= 1 / lam * 1.05 ** 2


# ---- safeguards and bad input -----------------------------------------------------------------------------------
def test_lr_bounds_clip_eta():
    w = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    h = hyper.FirstOrder(optim.SGD([w], lr=0.01), hyper_lr=10.0, lr_bounds=(0.0, 0.05))
    for _ in range(5):
        h.step(lambda: (w * w).sum())
    assert h.lr == 0.05


def test_nan_loss_is_skipped_and_counted():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = hyper.RTHPO(optim.SGD([w], lr=0.01), hyper_lr=1e-3)
    h.step(lambda: (w * w).sum())
    eta, w_before = h.lr, w.numpy().copy()
    h.step(lambda: (w * w).sum() * float("nan"))
    assert h.skipped == 1 and h.lr == eta and h.history[-1]["skipped"]
    np.testing.assert_array_equal(w.numpy(), w_before)
    h.step(lambda: (w * w).sum())
    assert np.isfinite(h.lr) and h.skipped == 1


def test_element_granularity_refuses_mu():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="granularity 'element' is first-order only.*mu = 1"):
        hyper.RTHPO(optim.SGD([w], lr=0.1), 1e-3, granularity="element")


def test_closure_must_return_scalar():
    w = Tensor([1.0, 2.0], requires_grad=True)
    for cls in (hyper.FirstOrder, hyper.RTHPO):
        h = cls(optim.SGD([w], lr=0.1), 1e-3)
        with pytest.raises(ValueError, match=r"scalar loss.*\(2,\)"):
            h.step(lambda: w * w)
    with pytest.raises(ValueError, match="scalar loss"):
        hyper.LossGrad(optim.SGD([w], lr=0.1)).step(lambda: w * w)


def test_hyper_state_dict_roundtrip_continues_identically():
    def make():
        ps = _mlp_params()
        return ps, hyper.RTHPO(optim.Adam(ps, lr=0.01), hyper_lr=1e-4)
    ps, h = make()
    for t in range(4):
        h.step(lambda: _mlp_loss(ps, t))
    sd = h.state_dict()
    ps2, h2 = make()
    for p, q in zip(ps2, ps):
        p.data = q.data.copy()
    h2.load_state_dict(sd)
    for t in range(4, 7):
        h.step(lambda: _mlp_loss(ps, t))
        h2.step(lambda: _mlp_loss(ps2, t))
    np.testing.assert_array_equal(_flat(ps), _flat(ps2))
    assert h.lr == h2.lr
    with pytest.raises(ValueError, match="FirstOrder.*RTHPO"):
        hyper.FirstOrder(optim.Adam(ps2, lr=0.01), 1e-4).load_state_dict(sd)


# ---- issue 10: bad arguments, η through 0, torch-style closures, schedulers -------------------------------------
@pytest.mark.parametrize("c", [float("nan"), float("inf"), 1.0, 0.5, "2"])
def test_lossgrad_refuses_bad_c(c):
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="finite c > 1"):
        hyper.LossGrad(optim.SGD([w], lr=0.1), c=c)


@pytest.mark.parametrize("bounds, msg", [(0.2, "must be a pair"), ((0.1,), "must be a pair"),
                                         ((float("nan"), None), "lower bound must be a number"),
                                         ((0, float("nan")), "upper bound must be a number"),
                                         ((0.5, 0.1), "above upper bound")])
def test_lr_bounds_are_validated(bounds, msg):
    w = Tensor([1.0, 2.0], requires_grad=True)
    for make in (lambda: hyper.RTHPO(optim.SGD([w], lr=0.1), 1e-3, lr_bounds=bounds),
                 lambda: hyper.LossGrad(optim.SGD([w], lr=0.1), lr_bounds=bounds)):
        with pytest.raises(ValueError, match=msg):
            make()


def test_initial_eta_is_clipped_into_the_bounds():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    assert hyper.FirstOrder(optim.SGD([w], lr=0.5), 1e-3, lr_bounds=(0.0, 0.1)).lr == 0.1
    assert hyper.FirstOrder(optim.SGD([w], lr=0.5), 1e-3, granularity="tensor", lr_bounds=(None, 0.2)).lr == [0.2]
    h = hyper.FirstOrder(optim.SGD([w], lr=0.01), 1e-3, granularity="element", lr_bounds=(0.05, None))
    np.testing.assert_array_equal(h.lr[0], [0.05, 0.05])
    assert hyper.LossGrad(optim.SGD([w], lr=0.5), lr_bounds=[0, 0.3]).lr == 0.3


def test_eta_changing_sign_warns_once():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    # successive gradients of an overshooting quadratic point opposite ways: g_t·g_{t-1} < 0 pushes η down, fast
    h = hyper.FirstOrder(optim.SGD([w], lr=1.5), hyper_lr=1.0)
    with pytest.warns(RuntimeWarning, match=r"through 0.*lr_bounds=\(0, None\)") as rec:
        for _ in range(6):
            h.step(lambda: (w * w).sum())
    assert min(r["lr"] for r in h.history) < 0
    assert sum("through 0" in str(r.message) for r in rec) == 1
    w.data[...] = [1.0, -2.0]
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hb = hyper.FirstOrder(optim.SGD([w], lr=1.5), hyper_lr=1.0, lr_bounds=(0, None))
        for _ in range(6):
            hb.step(lambda: (w * w).sum())
    assert min(r["lr"] for r in hb.history) >= 0


def test_torch_style_closure_calling_backward_is_explained():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    for make in (lambda o: hyper.RTHPO(o, 1e-3), lambda o: hyper.FirstOrder(o, 1e-3), hyper.LossGrad,
                 lambda o: hyper.FischerPlus(o, 1e-3)):
        opt = optim.SGD([w], lr=0.1)
        h = make(opt)

        def closure():
            opt.zero_grad()
            loss = (w * w).sum()
            loss.backward()
            return loss
        before = w.numpy().copy()
        with pytest.raises(ValueError, match=r"called backward\(\).*without calling backward") as e:
            h.step(closure)
        assert "retain_graph" not in str(e.value)
        np.testing.assert_array_equal(w.numpy(), before)
    val = hyper.FirstOrder(optim.SGD([w], lr=0.1), 1e-3, val_closure=closure)
    val.step(lambda: (w * w).sum())
    with pytest.raises(ValueError, match=r"val_closure\(\) called backward"):
        val.step(lambda: (w * w).sum())


def test_scheduler_on_the_wrapped_optimizer_scales_eta():
    from tinygrad_lr.optim import lr_scheduler
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = hyper.FirstOrder(optim.SGD([w], lr=0.1), hyper_lr=0.0)  # β = 0: η only moves by the schedule
    sched = lr_scheduler.ExponentialLR(h.optimizer, gamma=0.5)
    h.step(lambda: (w * w).sum())
    assert h.lr == 0.1
    sched.step()
    h.step(lambda: (w * w).sum())
    assert h.lr == 0.05 and h.history[-1]["lr"] == 0.05
    sched.step()
    sd = h.state_dict()
    h.step(lambda: (w * w).sum())
    assert h.lr == 0.025
    w2 = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h2 = hyper.FirstOrder(optim.SGD([w2], lr=0.1), hyper_lr=0.0)
    h2.load_state_dict(sd)  # the lr the scheduler set after the checkpoint's last step is still to be followed
    h2.step(lambda: (w2 * w2).sum())
    assert h2.lr == 0.025
    # per-tensor η: each group's η follows its own group's lr; LossGrad's too
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    ht = hyper.FirstOrder(optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.2}]), 0.0,
                          granularity="tensor")
    lr_scheduler.StepLR(ht.optimizer, step_size=1, gamma=0.1).step()
    ht.step(lambda: (a * a + b * b).sum())
    np.testing.assert_allclose(ht.lr, [0.01, 0.02])
    hl = hyper.LossGrad(optim.SGD([w], lr=0.1))
    lr_scheduler.ExponentialLR(hl.optimizer, gamma=0.5).step()
    hl.step(lambda: (w * w).sum())
    assert hl.history[-1]["lr"] in (0.05 * 1.05, 0.05 / 1.05)


def _bn_dropout_model():
    from tinygrad_lr import nn
    tl.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 1))


def test_lossgrad_second_evaluation_is_the_same_function():
    """LOSSGRAD's loss after the step: the same dropout mask, BatchNorm's running statistics moved once per step."""
    model = _bn_dropout_model()
    x = Tensor(np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32))
    masks = []

    def closure():
        h = model[2](model[1](model[0](x)))
        d = model[3](h)
        masks.append((d.numpy() != 0) | (h.numpy() == 0))  # kept by dropout (or zero anyway)
        return (model[4](d) ** 2).mean()
    h = hyper.LossGrad(optim.SGD(model.parameters(), lr=0.01))
    bn = model[1]
    for step in range(3):
        masks.clear()
        with tl.no_grad():  # what one training-mode evaluation at the current weights does to the running mean
            z = model[0](x).numpy()
        want = 0.9 * bn.running_mean.numpy() + 0.1 * z.mean(0)
        h.step(closure)
        assert len(masks) == 2 and np.array_equal(masks[0], masks[1])
        np.testing.assert_allclose(bn.running_mean.numpy(), want, rtol=1e-6)
        assert int(bn.num_batches_tracked.item()) == step + 1


def test_lossgrad_step_consumes_one_evaluation_of_random_numbers():
    model = _bn_dropout_model()
    x = Tensor(np.ones((8, 3), np.float32))

    def closure():
        return (model(x) ** 2).mean()
    h = hyper.LossGrad(optim.SGD(model.parameters(), lr=0.01))
    start = tl.backend.rng_state("cpu")
    h.step(closure)
    after_step = tl.backend.rng_state("cpu")
    tl.backend.set_rng_state(start, "cpu")
    closure()
    assert tl.backend.rng_state("cpu") == after_step


def test_frozen_running_stats_keeps_batch_statistics():
    from tinygrad_lr import nn
    model = _bn_dropout_model()
    bn = model[1]
    x = Tensor(np.random.default_rng(2).standard_normal((8, 4)).astype(np.float32) * 3 + 1)
    with nn.frozen_running_stats():
        y = bn(x)
    np.testing.assert_allclose(y.numpy().mean(0), 0, atol=1e-5)  # normalised with the batch's statistics
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    assert int(bn.num_batches_tracked.item()) == 0
    bn(x)
    assert int(bn.num_batches_tracked.item()) == 1 and not np.all(bn.running_mean.numpy() == 0)


@pytest.mark.parametrize("cls", [hyper.RTHPO, hyper.FirstOrder])
def test_validation_closure_leaves_running_stats_alone(cls):
    model = _bn_dropout_model()
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((8, 3)).astype(np.float32))
    xv = Tensor(5 + 3 * rng.standard_normal((8, 3)).astype(np.float32))
    h = cls(optim.SGD(model.parameters(), lr=0.01), 1e-4, val_closure=lambda: (model(xv) ** 2).mean())
    bn = model[1]
    for step in range(3):
        with tl.no_grad():
            want = 0.9 * bn.running_mean.numpy() + 0.1 * model[0](x).numpy().mean(0)
        h.step(lambda: (model(x) ** 2).mean())
        np.testing.assert_allclose(bn.running_mean.numpy(), want, rtol=1e-6)
        assert int(bn.num_batches_tracked.item()) == step + 1  # the training closures only


def test_scheduler_on_several_groups_under_one_global_eta():
    from tinygrad_lr.optim import lr_scheduler
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    h = hyper.FirstOrder(optim.SGD([{"params": [a], "lr": 0.1}, {"params": [b], "lr": 0.1}]), 0.0)
    s = lr_scheduler.ExponentialLR(h.optimizer, gamma=0.3)
    for _ in range(3):
        s.step()
        h.step(lambda: (a * a + b * b).sum())
    assert abs(h.lr - 0.1 * 0.3 ** 3) < 1e-15
    h.optimizer.param_groups[0]["lr"] = 0.5  # one group moved alone: one η cannot follow both
    with pytest.raises(ValueError, match="granularity 'tensor'"):
        h.step(lambda: (a * a + b * b).sum())


def test_group_state_is_stepped_saved_and_restored_with_its_tangent():
    """A group-coupled Φ: step() matches the formula; the group state and its tangent component survive
    state_dict / load_state_dict (3 + 3 steps = 6 steps, exactly)."""
    ps = _mlp_params()
    opt = _GroupNormSGD(ps, lr=0.5)
    _mlp_loss(ps, 0).backward()
    g = [p.grad.numpy() for p in ps]
    w = [p.numpy().copy() for p in ps]
    opt.step()
    G = 1.0 + sum((a * a).sum() for a in g)
    for p, a, b in zip(ps, w, g):
        np.testing.assert_allclose(p.numpy(), a - 0.5 * b / np.sqrt(G), rtol=1e-13)
    np.testing.assert_allclose(opt.state_dict()["group_state"][0]["G"], G, rtol=1e-13)

    def run(steps, state=None):
        qs = _mlp_params()
        h = hyper.RTHPO(_GroupNormSGD(qs, lr=0.5), hyper_lr=1e-3)
        if state is not None:
            h.load_state_dict(state[0])
            for q, a in zip(qs, state[1]):
                q.data = a.copy()
        for t in range(*steps):
            h.step(lambda: _mlp_loss(qs, t))
        return h, qs
    full, qf = run((0, 6))
    half, qh = run((0, 3))
    assert ("group", 0) in {i for i, _ in half.z[0]}  # the tangent has a component for G
    resumed, qr = run((3, 6), (half.state_dict(), [q.numpy() for q in qh]))
    np.testing.assert_array_equal(_flat(qr), _flat(qf))
    assert resumed.lr == full.lr
    np.testing.assert_array_equal(resumed.optimizer.group_state[0]["G"].numpy(), full.optimizer.group_state[0]["G"].numpy())


# ---- any hyper-parameter: the same tangent with θ seeded instead of η ----------------------------------------
THETA = [  # (optimizer, the hyper-parameter, its initial value)
    ("momentum", lambda p: optim.SGD(p, lr=0.1, momentum=0.5), 0.5),
    ("beta1", lambda p: optim.Adam(p, lr=0.02, betas=(0.8, 0.95)), 0.8),
    ("beta2", lambda p: optim.Adam(p, lr=0.02, betas=(0.8, 0.95)), 0.95),
    ("weight_decay", lambda p: optim.AdamW(p, lr=0.02, weight_decay=0.1), 0.1),
    ("dampening", lambda p: optim.SGD(p, lr=0.1, momentum=0.5, dampening=0.2), 0.2),
    ("alpha", lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9), 0.9),
]


@pytest.mark.parametrize("name,make,theta0", THETA, ids=[t[0] for t in THETA])
def test_any_hyperparameter_hypergradient_equals_unrolled_and_finite_differences(name, make, theta0):
    """dE(w_T)/dθ three ways (T = 15, float64): the z-recursion of RT-HPO adapting θ with hyper_lr = 0, reverse
    mode through the unrolled run, and central differences of whole runs in θ."""
    T = 15
    ps = _mlp_params()
    h = hyper.RTHPO(make(ps), hyper_lr=0.0, hyperparams=(name,))
    for t in range(T):
        h.step(lambda: _mlp_loss(ps, t))
    assert h.tangents == [(name, None)]
    gE = tl.grad(_val_loss(ps), ps)
    z = h.z[0]
    tangent = float(sum((g.numpy() * z[(i, None)].numpy()).sum() for i, g in enumerate(gE)))
    # reverse mode through the unrolled run
    ws, theta = hyper.unrolled_run(make(_mlp_params()), _mlp_loss, T, wrt=name)
    np.testing.assert_allclose(_flat(ws), _flat(ps), rtol=1e-12, atol=1e-12)
    reverse = tl.grad(_val_loss(ws), theta)[0].item()

    # central differences of the whole run in θ
    def final_loss(v):
        qs = _mlp_params()
        opt = make(qs)
        for g in opt.param_groups:
            if name.startswith("beta"):
                b = list(g["betas"])
                b[int(name[-1]) - 1] = v
                g["betas"] = tuple(b)
            else:
                g[name] = v
        for t in range(T):
            opt.zero_grad()
            _mlp_loss(qs, t).backward()
            opt.step()
        return _val_loss(qs).item()
    eps = 1e-6
    fd = (final_loss(theta0 + eps) - final_loss(theta0 - eps)) / (2 * eps)
    np.testing.assert_allclose(tangent, reverse, rtol=1e-6)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-9)


def test_adapting_several_hyperparameters_moves_each_in_its_group():
    """η and β1 of Adam adapted together: two tangents, a hypergradient dict, each value published in the param
    groups (β1 in "betas") within its bounds, recorded in the history, saved and restored."""
    ps = _mlp_params()
    opt = optim.Adam(ps, lr=0.02, betas=(0.8, 0.95))
    h = hyper.RTHPO(opt, hyper_lr={"lr": 1e-4, "beta1": 1e-2}, hyperparams=("beta1", "lr"),
                    bounds={"beta1": (0.5, 0.9)})
    assert h.hyperparams == ("lr", "beta1") and len(h.tangents) == 2
    for t in range(6):
        h.step(lambda: _mlp_loss(ps, t))
    last = h.history[-1]
    assert set(last["hypergrad"]) == {"lr", "beta1"}
    assert opt.param_groups[0]["betas"][0] == h.theta["beta1"] == last["beta1"]
    assert 0.5 <= h.theta["beta1"] <= 0.9 and h.theta["beta1"] != 0.8
    assert last["lr"] == h.lr != 0.02
    state = h.state_dict()
    h2 = hyper.RTHPO(optim.Adam(_mlp_params(), lr=0.02, betas=(0.8, 0.95)), hyper_lr={"lr": 1e-4, "beta1": 1e-2},
                     hyperparams=("lr", "beta1"), bounds={"beta1": (0.5, 0.9)})
    h2.load_state_dict(state)
    assert h2.theta == h.theta and h2.optimizer.param_groups[0]["betas"] == opt.param_groups[0]["betas"]


def test_hyperparameter_arguments_are_checked():
    ps = _mlp_params()
    with pytest.raises(ValueError, match="cannot adapt 'beta1' of SGD"):
        hyper.RTHPO(optim.SGD(ps, lr=0.1), 0.0, hyperparams=("beta1",))
    with pytest.raises(ValueError, match="cannot adapt 'nesterov'"):
        hyper.RTHPO(optim.SGD(ps, lr=0.1, momentum=0.9), 0.0, hyperparams=("nesterov",))
    with pytest.raises(ValueError, match="missing"):
        hyper.FirstOrder(optim.SGD(ps, lr=0.1, momentum=0.9), {"lr": 0.1}, hyperparams=("lr", "momentum"))
    with pytest.raises(ValueError, match="not adapted"):
        hyper.FirstOrder(optim.SGD(ps, lr=0.1, momentum=0.9), 0.1, bounds={"momentum": (0, 1)})
    with pytest.raises(ValueError, match="'element' adapts the learning rate only"):
        hyper.FirstOrder(optim.SGD(ps, lr=0.1, momentum=0.9), 0.1, granularity="element",
                         hyperparams=("momentum",))
    other = hyper.RTHPO(optim.SGD(_mlp_params(), lr=0.1, momentum=0.9), 0.0, hyperparams=("momentum",))
    with pytest.raises(ValueError, match="adapts"):
        hyper.RTHPO(optim.SGD(ps, lr=0.1, momentum=0.9), 0.0).load_state_dict(other.state_dict())


@pytest.mark.parametrize("method", [hyper.FirstOrder, hyper.RTHPO])
def test_per_tensor_hypergradients_of_momentum_sum_to_the_global_one(method):
    """Moving every tensor's momentum together is moving the one global momentum: the per-tensor hypergradients
    (one tangent per tensor for RT-HPO, one shared tangent for first order) sum to the global hypergradient."""
    hs = {}
    for gran in ("global", "tensor"):
        ps = _mlp_params()
        h = method(optim.SGD(ps, lr=0.1, momentum=0.5), 0.0, granularity=gran, hyperparams=("momentum",))
        for t in range(8):
            h.step(lambda: _mlp_loss(ps, t))
        hs[gran] = h.history[-1]["hypergrad"]["momentum"]
        if gran == "tensor":
            assert len(h.tangents) == (len(ps) if method is hyper.RTHPO else 1)
            assert h.history[-1]["momentum"] == [0.5] * len(ps)
    np.testing.assert_allclose(sum(hs["tensor"]), hs["global"], rtol=1e-9)


def test_adapted_reports_what_adapts_as_floats():
    ps = _mlp_params()
    assert optim.SGD(ps, lr=0.1).adapted() == {}
    opt = _GroupNormSGD(ps, lr=0.5)
    h = hyper.RTHPO(opt, hyper_lr=1e-3)
    h.step(lambda: _mlp_loss(ps, 0))
    a = h.adapted()
    assert set(a) == {"lr", "G"} and a["lr"] == h.lr and a["G"] == float(opt.group_state[0]["G"].item())
    qs = _mlp_params()
    h2 = hyper.FirstOrder(optim.SGD(qs, lr=0.1, momentum=0.5), 1e-3, granularity="tensor",
                          hyperparams=("lr", "momentum"))
    h2.step(lambda: _mlp_loss(qs, 0))
    a2 = h2.adapted()
    assert set(a2) == {f"lr/{i}" for i in range(4)} | {f"momentum/{i}" for i in range(4)}
    assert all(isinstance(v, float) for v in a2.values())


# the LeNet family (convolution, ReLU, max-pooling, BatchNorm in training mode): the fast conv/pool/BN ops must give
# the exact tangent too, with ReLU/max-pool kinks that central differences only resolve with a small step
_XC = np.random.default_rng(7).standard_normal((24, 1, 8, 8))
_YC = np.random.default_rng(8).integers(0, 3, 24)


def _conv_params():
    r = np.random.default_rng(2)
    # no convolution bias: before BatchNorm its gradient is round-off, which Adam's 1/(√v + ε) blows up
    return [Tensor(r.standard_normal((4, 1, 3, 3)) * 0.5, requires_grad=True), Tensor(np.ones(4), requires_grad=True), Tensor(np.zeros(4), requires_grad=True),
            Tensor(r.standard_normal((3, 36)) * 0.3, requires_grad=True), Tensor(np.zeros(3), requires_grad=True)]


def _conv_loss(ws, t, lo=None):
    lo = (8 * t) % 16 if lo is None else lo
    x = F.conv2d(Tensor(_XC[lo:lo + 8]), ws[0])  # 8x8 -> 6x6
    x = F.batch_norm(x, weight=ws[1], bias=ws[2], training=True)
    x = F.max_pool2d(F.relu(x), 2).reshape(8, -1)  # 4 x 3 x 3 = 36
    return F.cross_entropy(F.linear(x, ws[3], ws[4]), _YC[lo:lo + 8])


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_rthpo_tangent_through_a_convnet_equals_unrolled_and_finite_differences(name):
    T = 8
    ps = _conv_params()
    opt = OPTS[name](ps)
    eta0 = opt.param_groups[0]["lr"]
    h = hyper.RTHPO(opt, hyper_lr=0.0)
    for t in range(T):
        h.step(lambda: _conv_loss(ps, t))
    z = _flat([h.z[0][(i, None)] for i in range(len(ps))])

    def run(e):
        return fixed_eta_run(OPTS[name], _conv_params, _conv_loss, e, T)
    eps = 1e-7 * eta0  # small enough that no ReLU or max-pool choice flips between η ± eps
    fd = (_flat(run(eta0 + eps)) - _flat(run(eta0 - eps))) / (2 * eps)
    assert np.linalg.norm(z) > 1e-3
    np.testing.assert_allclose(z, fd, rtol=1e-5, atol=1e-6 * np.abs(fd).max())
    # the hypergradient of a held-out loss, against reverse mode through the unrolled run
    ws, eta = hyper.unrolled_run(OPTS[name](_conv_params()), _conv_loss, T, eta0)
    np.testing.assert_allclose(_flat(ws), _flat(ps), rtol=1e-12, atol=1e-12)
    gE = tl.grad(_conv_loss(ps, 0, lo=16), ps)
    hyper_grad = float(sum((g.numpy() * h.z[0][(i, None)].numpy()).sum() for i, g in enumerate(gE)))
    unrolled = tl.grad(_conv_loss(ws, 0, lo=16), eta)[0].item()
    assert abs(hyper_grad - unrolled) < 1e-9 * max(1, abs(unrolled))

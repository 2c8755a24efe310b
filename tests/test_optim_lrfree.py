"""The learning-rate-free optimizers (Prodigy, DAdaptSGD, DAdaptAdam, DoG, LDoG, DoWG) against independent NumPy
transcriptions of the authors' reference code (float64, 20 steps, rtol 1e-10), written here line by line from
konstmish/prodigy prodigyopt/prodigy.py, facebookresearch/dadaptation dadaptation/dadapt_sgd.py and dadapt_adam.py,
formll/dog src/dog/dog.py, and Algorithm 1 of the DoWG paper (arXiv:2305.16284); see docs/sources.md. The library's
only part in the references is the gradient oracle (autodiff of a small MLP's loss at the reference's weights)."""
import copy
import math

import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, hyper, optim

from conftest import shared_data_root
from helpers import fixed_eta_run

X = np.random.default_rng(5).standard_normal((16, 5))
Y = np.random.default_rng(6).integers(0, 3, 16)
T = 20


def _params0():
    r = np.random.default_rng(1)  # a zero bias: Prodigy's 0-d x_0, the zero norms of DoG
    return [r.standard_normal((6, 5)) * 0.5, np.zeros(6), r.standard_normal((3, 6)) * 0.5, r.standard_normal(3) * 0.1]


def _loss(ws, t):
    lo = (4 * t) % 12
    h = F.linear(Tensor(X[lo:lo + 6]), ws[0], ws[1]).tanh()
    return F.cross_entropy(F.linear(h, ws[2], ws[3]), Y[lo:lo + 6])


def _grads(ps, t):
    """The gradient oracle of the NumPy references: ∇ of the step-t loss at the weights ps (arrays)."""
    ws = [Tensor(p.copy(), requires_grad=True) for p in ps]
    return [g.numpy().copy() for g in tl.grad(_loss(ws, t), ws)]


# ---- NumPy transcriptions of the references ----------------------------------------------------------------------
def ref_prodigy(T, lr=1.0, betas=(0.9, 0.999), beta3=None, eps=1e-8, weight_decay=0, decouple=True,
                use_bias_correction=False, safeguard_warmup=False, d0=1e-6, d_coef=1.0, growth_rate=float("inf"),
                slice_p=1):
    """prodigyopt.Prodigy.step (konstmish/prodigy, prodigyopt/prodigy.py), one param group, Python floats."""
    ps = _params0()
    group = dict(d=d0, d_max=d0, d_numerator=0.0, k=0)
    state = [None] * len(ps)
    out = []
    for t in range(T):
        grads = _grads(ps, t)
        d_denom = 0.0
        beta1, beta2 = betas
        b3 = math.sqrt(beta2) if beta3 is None else beta3
        k, d, d_max = group["k"], group["d"], group["d_max"]
        bias_correction = ((1 - beta2 ** (k + 1)) ** 0.5) / (1 - beta1 ** (k + 1)) if use_bias_correction else 1
        dlr = d * lr * bias_correction
        d_numerator = group["d_numerator"] * b3
        delta_numerator = 0.0
        for i, p in enumerate(ps):
            grad = grads[i]
            if weight_decay != 0 and not decouple:
                grad = grad + weight_decay * p
                grads[i] = grad
            if state[i] is None:
                st = state[i] = {"s": np.zeros_like(p.flatten()[::slice_p]),
                                 "p0": p.flatten()[::slice_p].copy() if p.any() else np.array(0.0),
                                 "exp_avg_sq": np.zeros_like(p)}
                if beta1 > 0:
                    st["exp_avg"] = np.zeros_like(p)
            st = state[i]
            sliced_grad = grad.flatten()[::slice_p]
            delta_numerator += (d / d0) * dlr * np.dot(sliced_grad, st["p0"] - p.flatten()[::slice_p])
            if beta1 > 0:
                st["exp_avg"] = st["exp_avg"] * beta1 + grad * (d * (1 - beta1))
            st["exp_avg_sq"] = st["exp_avg_sq"] * beta2 + (d * d * (1 - beta2)) * grad * grad
            if safeguard_warmup:
                st["s"] = st["s"] * b3 + sliced_grad * ((d / d0) * d)
            else:
                st["s"] = st["s"] * b3 + sliced_grad * ((d / d0) * dlr)
            d_denom += np.abs(st["s"]).sum()
        if d_denom == 0:
            out.append(([p.copy() for p in ps], group["d"]))
            continue
        global_d_numerator = d_numerator + delta_numerator
        d_hat = d_coef * global_d_numerator / d_denom
        if d == d0:
            d = max(d, d_hat)
        d_max = max(d_max, d_hat)
        d = min(d_max, d * growth_rate)
        group.update(d_numerator=global_d_numerator, d=d, d_max=d_max)
        for i, p in enumerate(ps):
            st = state[i]
            denom = np.sqrt(st["exp_avg_sq"]) + d * eps
            if weight_decay != 0 and decouple:
                p = p + p * (-weight_decay * dlr)
            if beta1 > 0:
                p = p + (-dlr) * (st["exp_avg"] / denom)
            else:
                p = p + (-dlr * d) * (grads[i] / denom)
            ps[i] = p
        group["k"] = k + 1
        out.append(([p.copy() for p in ps], d))
    return out


def ref_dadapt_sgd(T, lr=1.0, momentum=0.0, weight_decay=0, d0=1e-6, growth_rate=float("inf")):
    """dadaptation.DAdaptSGD.step (facebookresearch/dadaptation, dadaptation/dadapt_sgd.py), one param group."""
    ps = _params0()
    group = dict(k=0, numerator_weighted=0.0, d=d0)
    state = [None] * len(ps)
    out = []
    for t in range(T):
        grads = _grads(ps, t)
        ck = 1 - momentum
        k, numerator_weighted, d = group["k"], group["numerator_weighted"], group["d"]
        sk_sq = 0.0
        delta_numerator_weighted = 0.0
        if k == 0:
            g_sq = 0.0
            for grad in grads:
                g_sq += (grad * grad).sum()  # grad.add(p, alpha=decay) there is not in place: no weight decay
            group["g0_norm"] = math.sqrt(g_sq)
        g0_norm = group["g0_norm"]
        dlr = d * lr / g0_norm
        for i, p in enumerate(ps):
            grad = grads[i]
            if state[i] is None:
                state[i] = {"z": p.copy(), "s": np.zeros_like(p), "x0": p.copy()}
            if weight_decay != 0:
                grad = grad + weight_decay * p
            st = state[i]
            delta_numerator_weighted += dlr * np.dot(grad.flatten(), st["s"].flatten())
            st["s"] = st["s"] + dlr * grad
            sk_sq += (st["s"] * st["s"]).sum()
        global_numerator_weighted = numerator_weighted + delta_numerator_weighted
        d_hat = 2 * global_numerator_weighted / math.sqrt(sk_sq)
        d = max(d, min(d_hat, d * growth_rate))
        group.update(numerator_weighted=global_numerator_weighted, d=d)
        for i, p in enumerate(ps):
            st = state[i]
            st["z"] = st["x0"] - st["s"]
            ps[i] = p * (1 - ck) + ck * st["z"]
        group["k"] = k + 1
        out.append(([p.copy() for p in ps], d))
    return out


def ref_dadapt_adam(T, lr=1.0, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decouple=False,
                    use_bias_correction=False, d0=1e-6, growth_rate=float("inf"), layer_scale=1.0):
    """dadaptation.DAdaptAdam.step (facebookresearch/dadaptation, dadaptation/dadapt_adam.py), one param group."""
    ps = _params0()
    group = dict(k=0, numerator_weighted=0.0, d=d0)
    state = [None] * len(ps)
    out = []
    for t in range(T):
        grads = _grads(ps, t)
        sk_l1 = 0.0
        numerator_weighted, k, d = group["numerator_weighted"], group["k"], group["d"]
        beta1, beta2 = betas
        bias_correction = ((1 - beta2 ** (k + 1)) ** 0.5) / (1 - beta1 ** (k + 1)) if use_bias_correction else 1
        dlr = d * lr * bias_correction
        sqrt_beta2 = beta2 ** 0.5
        numerator_acum = 0.0
        r = layer_scale
        for i, p in enumerate(ps):
            grad = grads[i]
            if weight_decay != 0 and not decouple:
                grad = grad + weight_decay * p
            if state[i] is None:
                state[i] = {"s": np.zeros_like(p), "exp_avg": np.zeros_like(p), "exp_avg_sq": np.zeros_like(p)}
            st = state[i]
            denom = np.sqrt(st["exp_avg_sq"]) + eps
            numerator_acum += r * dlr * np.dot(grad.flatten(), (st["s"] / denom).flatten())
            st["exp_avg"] = st["exp_avg"] * beta1 + grad * (r * dlr * (1 - beta1))
            st["exp_avg_sq"] = st["exp_avg_sq"] * beta2 + (1 - beta2) * grad * grad
            st["s"] = st["s"] * sqrt_beta2 + grad * (dlr * (1 - sqrt_beta2))
            sk_l1 += r * np.abs(st["s"]).sum()
        if sk_l1 == 0:
            out.append(([p.copy() for p in ps], group["d"]))
            continue
        global_numerator_weighted = sqrt_beta2 * numerator_weighted + (1 - sqrt_beta2) * numerator_acum
        d_hat = global_numerator_weighted / ((1 - sqrt_beta2) * sk_l1)
        d = max(d, min(d_hat, d * growth_rate))
        group.update(numerator_weighted=global_numerator_weighted, d=d)
        for i, p in enumerate(ps):
            st = state[i]
            denom = np.sqrt(st["exp_avg_sq"]) + eps
            if weight_decay != 0 and decouple:
                p = p + p * (-weight_decay * dlr)
            ps[i] = p + (-1) * (st["exp_avg"] / denom)
        group["k"] = k + 1
        out.append(([p.copy() for p in ps], d))
    return out


def ref_dog(T, layerwise=False, reps_rel=1e-6, lr=1.0, weight_decay=0.0, eps=1e-8, init_eta=None):
    """dog.DoG.step / dog.LDoG (formll/dog, src/dog/dog.py), one param group."""
    if init_eta is not None:
        reps_rel = 0
    ps = _params0()
    group = {}
    out = []
    for t in range(T):
        grads = _grads(ps, t)
        if t == 0:
            group["init_buffer"] = [p.copy() for p in ps]
        init = group["init_buffer"]
        if weight_decay > 0:
            grads = [g + weight_decay * p for g, p in zip(grads, ps)]
        if layerwise:
            if t == 0:
                group["rbar"] = reps_rel * (1 + np.array([np.linalg.norm(p) for p in ps]))
                group["G"] = np.array([(g ** 2).sum() for g in grads]) + eps
            else:
                curr_d = np.array([np.linalg.norm(p - pi) for p, pi in zip(ps, init)])
                group["rbar"] = np.maximum(group["rbar"], curr_d)
                group["G"] = group["G"] + np.array([(g ** 2).sum() for g in grads])
            assert np.all(group["G"] > 0)
            eta = list(lr * group["rbar"] / np.sqrt(group["G"]))
        else:
            if t == 0:
                group["rbar"] = reps_rel * (1 + np.linalg.norm(np.array([np.linalg.norm(p) for p in ps])))
                group["G"] = np.array([(g ** 2).sum() for g in grads]).sum() + eps
            else:
                curr_d = np.linalg.norm(np.array([np.linalg.norm(p - pi) for p, pi in zip(ps, init)]))
                group["rbar"] = max(group["rbar"], curr_d)
                group["G"] += np.array([(g ** 2).sum() for g in grads]).sum()
            assert group["G"] > 0
            eta = [lr * group["rbar"] / np.sqrt(group["G"])] * len(ps)
        if t == 0 and init_eta is not None:
            eta = [e * 0 + init_eta for e in eta]
        ps = [p + (-e) * g for p, g, e in zip(ps, grads, eta)]
        out.append(([p.copy() for p in ps], np.copy(group["rbar"])))
    return out


def ref_dowg(T, lr=1.0, reps_rel=1e-6, r_eps=None, weight_decay=0.0):
    """Algorithm 1 of Khaled, Mishchenko & Jin (2023), arXiv:2305.16284, with η scaled by c = lr and
    r_ε = reps_rel·(1 + ‖x_0‖) unless given."""
    ps = _params0()
    x0 = [p.copy() for p in ps]
    flat = lambda arrs: np.concatenate([a.ravel() for a in arrs])  # noqa: E731
    rbar = r_eps if r_eps is not None else reps_rel * (1 + np.linalg.norm(flat(ps)))  # r̄_{-1} = r_ε
    v = 0.0  # v_{-1}
    out = []
    for t in range(T):
        grads = _grads(ps, t)
        if weight_decay > 0:
            grads = [g + weight_decay * p for g, p in zip(grads, ps)]
        rbar = max(np.linalg.norm(flat(ps) - flat(x0)), rbar)
        v = v + rbar ** 2 * np.linalg.norm(flat(grads)) ** 2
        eta = lr * rbar ** 2 / np.sqrt(v)
        ps = [p - eta * g for p, g in zip(ps, grads)]
        out.append(([p.copy() for p in ps], rbar))
    return out


# ---- the library, step by step -----------------------------------------------------------------------------------
def _run(make, steps, ps=None, opt=None, start=0):
    ps = [Tensor(p, requires_grad=True) for p in _params0()] if ps is None else ps
    opt = make(ps) if opt is None else opt
    out = []
    for t in range(start, start + steps):
        opt.zero_grad()
        _loss(ps, t).backward()
        opt.step()
        out.append([p.numpy().copy() for p in ps])
    return out, ps, opt


def _scale(opt, name):
    """The adapted scale after the last step: group state `name` (LDoG: the per-tensor r̄ of each parameter)."""
    if name == "rbar*":
        return np.array([opt.state[p]["rbar"].item() for p in opt.params()])
    return opt.group_state[0][name].item()


CASES = {
    "prodigy": (optim.Prodigy, ref_prodigy, {}, "d"),
    "prodigy_wd_beta3": (optim.Prodigy, ref_prodigy, dict(weight_decay=0.1, beta3=0.95, betas=(0.8, 0.99),
                                                          d_coef=2.0), "d"),
    "prodigy_coupled_bc_growth_slice": (optim.Prodigy, ref_prodigy,
                                        dict(weight_decay=0.05, decouple=False, use_bias_correction=True,
                                             safeguard_warmup=True, growth_rate=1.5, slice_p=3, d0=1e-4), "d"),
    "prodigy_beta1_0": (optim.Prodigy, ref_prodigy, dict(betas=(0.0, 0.99), eps=1e-6, lr=0.5), "d"),
    "dadapt_sgd": (optim.DAdaptSGD, ref_dadapt_sgd, {}, "d"),
    "dadapt_sgd_momentum_wd": (optim.DAdaptSGD, ref_dadapt_sgd, dict(momentum=0.9, weight_decay=1e-2, growth_rate=2.0,
                                                                     d0=1e-3), "d"),
    "dadapt_adam": (optim.DAdaptAdam, ref_dadapt_adam, {}, "d"),
    "dadapt_adam_decoupled_bc": (optim.DAdaptAdam, ref_dadapt_adam,
                                 dict(weight_decay=0.1, decouple=True, use_bias_correction=True, betas=(0.8, 0.99),
                                      growth_rate=1.5, lr=0.5), "d"),
    "dadapt_adam_coupled": (optim.DAdaptAdam, ref_dadapt_adam, dict(weight_decay=0.05, eps=1e-6, d0=1e-4), "d"),
    "dog": (optim.DoG, ref_dog, {}, "rbar"),
    "dog_wd_init_eta": (optim.DoG, ref_dog, dict(weight_decay=0.01, init_eta=1e-3), "rbar"),
    "dog_reps": (optim.DoG, ref_dog, dict(reps_rel=1e-4, eps=1e-6, lr=0.8), "rbar"),
    "ldog": (optim.LDoG, lambda T, **k: ref_dog(T, layerwise=True, **k), {}, "rbar*"),
    "ldog_wd_init_eta": (optim.LDoG, lambda T, **k: ref_dog(T, layerwise=True, **k),
                         dict(weight_decay=0.01, init_eta=1e-3), "rbar*"),
    "dowg": (optim.DoWG, ref_dowg, {}, "rbar"),
    "dowg_wd_reps": (optim.DoWG, ref_dowg, dict(weight_decay=0.01, r_eps=1e-3, lr=0.5), "rbar"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_reference_step_by_step(name):
    cls, ref, kw, scale = CASES[name]
    expect = ref(T, **kw)
    ps = [Tensor(p, requires_grad=True) for p in _params0()]
    opt = cls(ps, **kw)
    for t in range(T):
        opt.zero_grad()
        _loss(ps, t).backward()
        opt.step()
        for p, e in zip(ps, expect[t][0]):
            np.testing.assert_allclose(p.numpy(), e, rtol=1e-10, atol=1e-15, err_msg=f"{name}, step {t + 1}")
        np.testing.assert_allclose(_scale(opt, scale), expect[t][1], rtol=1e-10, err_msg=f"{name}, step {t + 1}")
    # the adapted scale has moved away from its start: the comparison covers the adaptation
    assert not np.allclose(expect[-1][1], expect[0][1], rtol=1e-3)


def test_layer_scale_is_a_param_group_key():
    expect = ref_dadapt_adam(T, layer_scale=0.5, weight_decay=0.01)
    ps = [Tensor(p, requires_grad=True) for p in _params0()]
    out, _, opt = _run(lambda q: optim.DAdaptAdam([{"params": q, "layer_scale": 0.5}], weight_decay=0.01), T, ps)
    for t in (0, 9, T - 1):
        for a, e in zip(out[t], expect[t][0]):
            np.testing.assert_allclose(a, e, rtol=1e-10, atol=1e-15)


def test_d_is_one_per_param_group():
    # two groups adapt their own d: group 0 alone is the same run as a single-group optimizer on those parameters
    def loss_first(ws, t):
        return _loss(ws, t)
    ps = [Tensor(p, requires_grad=True) for p in _params0()]
    opt = optim.Prodigy([{"params": ps[:2]}, {"params": ps[2:], "lr": 0.5}])
    qs = [Tensor(p, requires_grad=True) for p in _params0()]
    solo = optim.Prodigy(qs[:2])
    for t in range(6):
        for o, ws in ((opt, ps), (solo, qs)):
            o.zero_grad()
            loss_first(ws, t).backward()
            o.step()
        qs[2].data, qs[3].data = ps[2].data.copy(), ps[3].data.copy()  # same trajectory for the other layer
    assert opt.group_state[0]["d"].item() == solo.group_state[0]["d"].item()
    assert opt.group_state[0]["d"].item() != opt.group_state[1]["d"].item()
    np.testing.assert_array_equal(ps[0].numpy(), qs[0].numpy())


def test_no_progress_step_leaves_weights_and_d():
    # a zero gradient: the references return before moving x or d (DAdaptSGD's would divide by ‖g_0‖ = 0)
    for cls in (optim.Prodigy, optim.DAdaptAdam, optim.DAdaptSGD, optim.DoWG):
        w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
        opt = cls([w])
        w.grad = Tensor(np.zeros(2))
        opt.step()
        np.testing.assert_array_equal(w.numpy(), [1.0, -2.0])
        assert opt.group_state[0]["k"] == (1 if cls is optim.DoWG else 0)
        w.grad = Tensor(np.array([0.5, 1.0]))
        opt.step()
        assert np.all(np.isfinite(w.numpy())) and not np.array_equal(w.numpy(), [1.0, -2.0])


def test_dog_zero_gradient_raises_like_reference_assertion():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = optim.DoG([w], eps=0.0)
    w.grad = Tensor(np.zeros(2))
    with pytest.raises(RuntimeError, match="G is not strictly positive"):
        opt.step()


@pytest.mark.parametrize("cls", [optim.DoG, optim.LDoG])
def test_dog_non_finite_gradient_is_a_floating_point_error(cls):
    """A diverged run (NaN gradients) is an arithmetic error, which experiment grids record as divergence."""
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = cls([w])
    w.grad = Tensor(np.array([np.nan, 1.0]))
    with pytest.raises(FloatingPointError, match="G is nan"):
        opt.step()


@pytest.mark.parametrize("cls", [optim.Prodigy, optim.DAdaptSGD, optim.DAdaptAdam, optim.DoG, optim.LDoG,
                                 optim.DoWG])
def test_step_closure_returns_loss(cls):
    ps = [Tensor(p, requires_grad=True) for p in _params0()]
    opt = cls(ps)

    def closure():
        opt.zero_grad()
        loss = _loss(ps, 0)
        loss.backward()
        return loss
    before = _loss(ps, 0).item()
    loss = opt.step(closure)
    assert isinstance(loss, Tensor) and loss.item() == before
    assert opt.step() is None


RESUME = {
    "prodigy": lambda p: optim.Prodigy(p, slice_p=2, weight_decay=0.01),
    "dadapt_sgd": lambda p: optim.DAdaptSGD(p, momentum=0.5),
    "dadapt_adam": lambda p: optim.DAdaptAdam(p, use_bias_correction=True),
    "dog": lambda p: optim.DoG(p),
    "ldog": lambda p: optim.LDoG(p),
    "dowg": lambda p: optim.DoWG(p),
}


@pytest.mark.parametrize("name", list(RESUME))
def test_state_dict_round_trip_continues_bit_identically(name):
    make = RESUME[name]
    full, _, _ = _run(make, 14)
    _, ps, opt = _run(make, 8)
    sd = copy.deepcopy(opt.state_dict())
    assert "group_state" in sd
    qs = [Tensor(p.numpy().copy(), requires_grad=True) for p in ps]
    opt2 = make(qs)
    opt2.load_state_dict(sd)
    rest, _, _ = _run(None, 6, qs, opt2, start=8)
    for a, b in zip(rest[-1], full[-1]):
        np.testing.assert_array_equal(a, b)


def test_prodigy_sliced_state_shapes_are_checked_on_load():
    ps = [Tensor(p, requires_grad=True) for p in _params0()]
    _, ps, opt = _run(lambda q: optim.Prodigy(q, slice_p=4), 2, ps)
    sd = opt.state_dict()
    assert sd["state"][0]["s"].shape == (8,) and sd["state"][1]["p0"].shape == ()  # 30 entries, every 4th; zero bias
    sd["state"][0]["s"] = np.zeros(30)
    with pytest.raises(ValueError, match=r"state 's' of parameter 0 has shape \(30,\), expected \(8,\)"):
        optim.Prodigy([Tensor(p, requires_grad=True) for p in _params0()], slice_p=4).load_state_dict(sd)


BAD = [
    (optim.Prodigy, dict(d0=0.0), "invalid d0: 0.0"),
    (optim.Prodigy, dict(lr=-1.0), "invalid lr: -1.0"),
    (optim.Prodigy, dict(eps=0), "invalid eps: 0"),
    (optim.Prodigy, dict(betas=(1.0, 0.999)), r"invalid betas\[0\]: 1.0"),
    (optim.Prodigy, dict(betas=(0.9, -0.1)), r"invalid betas\[1\]: -0.1"),
    (optim.Prodigy, dict(beta3=1.5), "invalid beta3: 1.5"),
    (optim.Prodigy, dict(slice_p=0), "invalid slice_p: 0"),
    (optim.Prodigy, dict(slice_p=1.5), "invalid slice_p: 1.5"),
    (optim.Prodigy, dict(weight_decay=-0.1), "invalid weight_decay: -0.1"),
    (optim.Prodigy, dict(growth_rate=0), "invalid growth_rate: 0"),
    (optim.Prodigy, dict(d_coef=-1), "invalid d_coef: -1"),
    (optim.DAdaptSGD, dict(lr=0.0), "invalid lr: 0.0"),
    (optim.DAdaptSGD, dict(d0=-1e-6), "invalid d0: -1e-06"),
    (optim.DAdaptSGD, dict(momentum=1.0), "invalid momentum: 1.0"),
    (optim.DAdaptSGD, dict(log_every=-1), "invalid log_every: -1"),
    (optim.DAdaptAdam, dict(eps=-1e-8), "invalid eps: -1e-08"),
    (optim.DAdaptAdam, dict(betas=(0.9, 1.0)), r"invalid betas\[1\]: 1.0"),
    (optim.DAdaptAdam, dict(d0=0), "invalid d0: 0"),
    (optim.DoG, dict(lr=0.0), "invalid lr: 0.0"),
    (optim.DoG, dict(reps_rel=0.0), "invalid reps_rel: 0.0"),
    (optim.DoG, dict(init_eta=-1.0), "invalid init_eta: -1.0"),
    (optim.DoG, dict(weight_decay=-1.0), "invalid weight_decay: -1.0"),
    (optim.LDoG, dict(reps_rel=-1e-6), "invalid reps_rel: -1e-06"),
    (optim.DoWG, dict(r_eps=0.0), "invalid r_eps: 0.0"),
    (optim.DoWG, dict(lr=-2.0), "invalid lr: -2.0"),
    (optim.DoWG, dict(reps_rel=-1.0), "invalid reps_rel: -1.0"),
]


@pytest.mark.parametrize("cls,kw,msg", BAD)
def test_bad_arguments_raise_value_error_naming_the_value(cls, kw, msg):
    with pytest.raises(ValueError, match=msg):
        cls([Tensor(np.ones(3), requires_grad=True)], **kw)


def test_bad_param_group_value_raises():
    w, v = Tensor(np.ones(3), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="invalid layer_scale: -1"):
        optim.DAdaptAdam([{"params": [w]}, {"params": [v], "layer_scale": -1}])


# ---- differentiating through the group state ----------------------------------------------------------------------
def _flat(ts):
    return np.concatenate([t.numpy().ravel() for t in ts])


# DoG at c = 1: its first step moves x exactly r̄_0·‖g‖/√(‖g‖² + eps) from x_0, a hair below r̄_0, so r̄_1 =
# max(r̄_0, ‖x_1 - x_0‖) has a kink at c = 1 + 6e-9 that central differences straddle; c = 0.9 is clear of it
@pytest.mark.parametrize("make,c0", [(lambda p: optim.DAdaptSGD(p, momentum=0.5, d0=1e-2), 1.0),
                                     (lambda p: optim.DoG(p, lr=0.9), 0.9),
                                     (lambda p: optim.Prodigy(p, d0=1e-3, weight_decay=0.01), 1.0)],
                         ids=["dadapt_sgd", "dog", "prodigy"])
def test_rthpo_through_group_state_equals_unrolled_reverse_mode(make, c0):
    # the hypergradient of the whole run in the lr multiplier c: the z-recursion (RT-HPO, hyper_lr = 0, whose
    # tangent has components for d / r̄, G) equals reverse mode through the unrolled run and central differences
    Tn = 12
    ps = [Tensor(p, requires_grad=True) for p in _params0()]
    opt = make(ps)
    h = hyper.RTHPO(opt, hyper_lr=0.0)
    for t in range(Tn):
        h.step(lambda: _loss(ps, t))
    assert any(isinstance(i, tuple) for i, _ in h.z[0])  # a group component in the tangent
    z = _flat([h.z[0][(i, None)] for i in range(len(ps))])
    ws, eta = hyper.unrolled_run(make([Tensor(p, requires_grad=True) for p in _params0()]), _loss, Tn, c0)
    np.testing.assert_allclose(_flat(ws), _flat(ps), rtol=1e-12, atol=1e-14)

    def val(ws):
        return _loss(ws, 1) + _loss(ws, 2)
    gE = tl.grad(val(ps), ps)
    hyper_grad = float(sum((g.numpy() * h.z[0][(i, None)].numpy()).sum() for i, g in enumerate(gE)))
    unrolled = tl.grad(val(ws), eta, retain_graph=True)[0].item()
    assert abs(hyper_grad - unrolled) < 1e-9 * max(1, abs(unrolled))
    rev = tl.grad((ws[0] * Tensor(np.arange(30.0).reshape(6, 5))).sum(), eta)[0].item()
    np.testing.assert_allclose((z[:30] * np.arange(30.0)).sum(), rev, rtol=1e-9, atol=1e-12)

    def run(e):
        return fixed_eta_run(make, lambda: [Tensor(p, requires_grad=True) for p in _params0()], _loss, e, Tn)
    eps = 1e-6
    fd = (val(run(c0 + eps)).item() - val(run(c0 - eps)).item()) / (2 * eps)
    assert abs(hyper_grad - fd) < 1e-5 * max(1, abs(fd))
    assert abs(hyper_grad) > 1e-8  # γ matters: the run is not flat in it


# ---- MNIST at default settings --------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.skipif(shared_data_root() is None, reason="needs MNIST in ../shared/data")
@pytest.mark.parametrize("cls", [optim.Prodigy, optim.DAdaptSGD, optim.DAdaptAdam, optim.DoG, optim.LDoG,
                                 optim.DoWG])
def test_trains_mnist_mlp_at_default_settings(cls):
    from tinygrad_lr.datasets import load_mnist
    from tinygrad_lr.models import MLP
    root = shared_data_root()
    X, y = load_mnist(root, "train", download=False, normalize=True, flatten=True)
    Xt, yt = load_mnist(root, "test", download=False, normalize=True, flatten=True)
    X, y, Xt, yt = X[:30000], y[:30000], Xt[:2000], yt[:2000]
    tl.manual_seed(0)
    model = MLP([784, 128, 10])
    opt = cls(model.parameters())
    r = np.random.default_rng(0)
    for _ in range(3):
        perm = r.permutation(len(X))
        for i in range(0, len(X), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            F.cross_entropy(model(Tensor(X[idx])), y[idx]).backward()
            opt.step()
    with tl.no_grad():
        acc = (model(Tensor(Xt)).numpy().argmax(1) == yt).mean()
    assert acc > 0.88, f"{cls.__name__}: test accuracy {acc:.3f}"

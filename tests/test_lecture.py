"""The lecture checks (examples/lecture): the problems and their derivatives, the runs on tiny budgets, and the
verdict logic on made-up results (both outcomes of every claim)."""
import json
import math

import numpy as np
import pytest

from tinygrad_lr import grad
from tinygrad_lr.examples import lecture
from tinygrad_lr.examples.lecture import compute, config, verdicts
from tinygrad_lr.tensor import Tensor


def _t(a, rg=False):
    return Tensor(np.array(a, dtype=np.float64), requires_grad=rg, dtype=np.float64)


def test_pseudo_huber_and_its_gradient():
    w = _t([100.0, -0.5, 0.0], True)
    f = compute.pseudo_huber(w, 1.0)
    u = np.array([100.0, -0.5, 0.0])
    assert math.isclose(f.item(), float(np.sum(np.sqrt(1 + u ** 2) - 1)), rel_tol=1e-13)
    (g,) = grad(f, [w])
    np.testing.assert_allclose(g.numpy(), u / np.sqrt(1 + u ** 2), rtol=1e-13)


def test_mlp_loss_is_the_numpy_forward():
    data = compute.mlp_data(16)
    theta = compute.mlp_init(4, seed=3)
    x, y = (d.numpy() for d in data)
    w1, b1, w2, b2 = theta[:4].reshape(1, 4), theta[4:8], theta[8:12].reshape(4, 1), theta[12:13]
    ref = np.mean((np.tanh(x @ w1 + b1) @ w2 + b2 - y) ** 2)
    assert math.isclose(compute.mlp_loss(_t(theta), data, 4).item(), ref, rel_tol=1e-12)


@pytest.mark.parametrize("coupled", [False, True])
def test_hessian_of_the_quadratic_is_a_and_newton_solves_it_in_one_step(coupled):
    a, b, ws = compute.quadratic(coupled, n=6, cond=50.0, seed=1)
    f = lambda w: compute.quad_loss(w, a, b)  # noqa: E731
    loss, g, h = compute.hessian(f, np.zeros(6))
    np.testing.assert_allclose(h, a, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, -b, rtol=1e-12)
    r = compute.newton_run(f, np.zeros(6), 1, 0.0)
    np.testing.assert_allclose(r["w"], ws, rtol=1e-9, atol=1e-10)


def test_diagonal_newton_exact_on_separable_and_the_jacobi_radius_on_coupled():
    a, b, ws = compute.quadratic(False, n=6, cond=50.0, seed=1)
    f = lambda w: compute.quad_loss(w, a, b)  # noqa: E731
    np.testing.assert_allclose(compute.newton_run(f, np.zeros(6), 1, 0.0, diagonal=True)["w"], ws, rtol=1e-12)
    np.testing.assert_allclose(compute.diag_newton_run(f, np.zeros(6), 1, 1e-12, seed=0)["w"], ws, rtol=1e-9)
    res = compute.newton_study(scale=0.1)
    assert res["separable"]["jacobi_spectral_radius"] == 0.0
    rho = res["coupled"]["jacobi_spectral_radius"]
    a, b, _ = compute.quadratic(True)
    assert math.isclose(rho, max(abs(np.linalg.eigvals(np.eye(10) - a / np.diag(a)[:, None]))), rel_tol=1e-12)
    de = res["coupled"]["diagonal Newton (exact diagonal)"]["loss"]
    assert rho > 1 and (not math.isfinite(de[-1]) or de[-1] > de[0])  # ρ > 1: the Jacobi iteration diverges


def test_adagrad_effective_step_is_eta_over_root_sum_and_never_grows():
    lr = config.STALL["lr"]
    r = compute.run(lambda p: compute.optim.Adagrad(p, lr=lr), (100.0, 100.0), compute.pseudo_huber, 50)
    g0 = 100.0 / math.sqrt(1 + 100.0 ** 2)
    np.testing.assert_allclose(r["effective_lr_all"][0], lr / (g0 + 1e-10), rtol=1e-8)
    e = r["effective_lr_all"]
    assert np.all(e[1:] <= e[:-1] * (1 + 1e-9))
    # after t steps at |g| ≈ 1 the step is ≈ η/√t
    assert math.isclose(e[-1, 0], lr / math.sqrt(50), rel_tol=1e-3)


def test_anneal_cuts_eta_by_the_factor_only():
    res = compute.anneal(scale=0.25)
    lrs = res["runs"][res["annealed"]]["lr"]
    assert lrs[0] == config.ANNEAL["lrs"][0]
    for a, b in zip(lrs, lrs[1:]):
        assert b == a or math.isclose(b, a * config.ANNEAL["factor"])
    assert all(len(r["val_mse"]) == res["epochs"] for r in res["runs"].values())
    assert all(v > 0.5 for r in res["runs"].values() for v in r["val_mse"])  # the Bayes MSE is 1


def _stall_result(shrinking, stalls):
    n = 100
    eff = np.full((n, 2), 0.1) / (np.sqrt(np.arange(1, n + 1))[:, None] if shrinking else 1.0)
    ada_loss = np.linspace(10, 9.9, n + 1) if stalls else np.geomspace(10, 1e-6, n + 1)
    res = {"AdaGrad": {"loss": list(ada_loss), "effective_lr": list(eff[:, 0]), "effective_lr_all": eff},
           "RMSProp": {"loss": list(np.geomspace(10, 1e-6, n + 1))}, "steps": n, "lr": 0.1}
    return {"valley": res, "mlp": res}


def test_stall_verdicts_both_ways():
    v = verdicts.stall(_stall_result(True, True))
    assert [c["verdict"] for c in v] == ["AGREES", "AGREES"] * 2
    v = verdicts.stall(_stall_result(False, False))
    assert [c["verdict"] for c in v] == ["DISAGREES", "DISAGREES"] * 2


def test_adadelta_verdict_both_ways():
    def res(finals):
        return {p: {"steps": 10, "AdaDelta": {e: {"loss": [1.0, f]} for e, f in zip(config.ADADELTA_EPS, finals)},
                    "RMSProp": {e: {"loss": [1.0, 0.5]} for e in config.ADADELTA_EPS}} for p in ("quadratic", "mlp")}
    assert {c["verdict"] for c in verdicts.adadelta(res([0.1, 0.11, 0.12, 0.1, 0.15]))} == {"AGREES"}
    assert {c["verdict"] for c in verdicts.adadelta(res([0.1, 10.0, 0.12, 0.1, 0.15]))} == {"DISAGREES"}


def test_anneal_verdicts_untested_without_a_cut():
    runs = {"hi": {"val_mse": [2.0, 1.5, 1.5], "lr": [0.1] * 3}, "lo": {"val_mse": [3.0, 1.2, 1.1], "lr": [0.01] * 3},
            "an": {"val_mse": [2.0, 1.5, 1.5], "lr": [0.1] * 3}}
    res = {"runs": runs, "epochs": 3, "bayes_mse": 1.0, "fixed_high": "hi", "fixed_low": "lo", "annealed": "an"}
    assert [c["verdict"] for c in verdicts.anneal(res)] == ["UNTESTED", "UNTESTED"]
    runs["an"] = {"val_mse": [2.0, 1.1, 1.05], "lr": [0.1, 0.01, 0.01]}
    assert [c["verdict"] for c in verdicts.anneal(res)] == ["AGREES", "AGREES"]
    assert "cut at epochs [2]" in verdicts.anneal(res)[0]["measured"]  # 1-based: the first epoch at the lower η
    runs["an"] = {"val_mse": [2.0, 1.1, 1.2], "lr": [0.1, 0.01, 0.01]}
    assert [c["verdict"] for c in verdicts.anneal(res)] == ["AGREES", "DISAGREES"]


def test_run_writes_verdicts_and_figures(tmp_path):
    judged = lecture.run(str(tmp_path), scale=0.02, log=lambda *a: None, jobs=1)
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert [v["verdict"] for v in m["verdicts"]] == [v["verdict"] for v in judged]
    assert {v["study"] for v in judged} == set(compute.STUDIES)
    assert all(v["verdict"] in ("AGREES", "DISAGREES", "UNTESTED") for v in judged)
    for name in ("adagrad_stall", "adadelta_eps", "anneal", "newton"):
        data = (tmp_path / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name
    assert np.load(tmp_path / "runs.npz")["adagrad_stall/valley/AdaGrad/loss"].shape == (
        compute._n(config.STALL["steps"], 0.02) + 1,)

"""The safeguards shared by every adapted quantity (tinygrad_lr/optim/guards.py): refusal of non-finite values,
the growth cap, bounds and the sign-change warning, on a bare Guard, on η and θ of the learning-rate methods, and
on an optimizer's group state."""
import warnings

import numpy as np
import pytest

from tinygrad_lr import Tensor, hyper, optim
from tinygrad_lr.optim.guards import Guard


def test_guard_on_floats_and_arrays():
    g = Guard("d", bounds=(None, 10.0), max_growth=2.0)
    assert g(1.0, 5.0) == 2.0            # growth capped at 2x
    assert g(4.0, 50.0) == 8.0
    assert g(8.0, 50.0) == 10.0          # then the bound
    with pytest.warns(RuntimeWarning, match="d went through 0"):
        assert g(-1.0, 5.0) == 5.0       # no cap where the old value is <= 0; -1 -> 5 changes sign: warned
    assert g.warned
    assert g(3.0, float("nan")) == 3.0 and g.skipped == 1
    a = g(np.array([1.0, -1.0, 4.0]), np.array([3.0, 3.0, 30.0]))
    np.testing.assert_array_equal(a, [2.0, 3.0, 8.0])
    assert g.clip(np.array([11.0], np.float32)).dtype == np.float32


def test_guard_warns_once_and_checks_its_arguments():
    g = Guard("s", hint="do something")
    with pytest.warns(RuntimeWarning, match="s went through 0.*do something") as rec:
        g(1.0, -1.0)
        g(-1.0, 1.0)
    assert len(rec) == 1
    for bad in (0.5, -1, "2", True):
        with pytest.raises(ValueError, match="max_growth of s must be a number >= 1"):
            Guard("s", max_growth=bad)
    with pytest.raises(ValueError, match=r"bounds\['s'\]: lower bound 2.0 is above upper bound 1.0"):
        Guard("s", bounds=(2, 1))


def test_eta_growth_cap_of_a_learning_rate_method():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    h = hyper.FirstOrder(optim.SGD([w], lr=0.01), hyper_lr=100.0)  # consecutive gradients agree: η grows fast
    h.set_guard("lr", bounds=(0, None), max_growth=1.5)
    for _ in range(5):
        h.step(lambda: (w * w).sum() * 0.01)
    lrs = [r["lr"] for r in h.history]
    assert lrs[-1] > lrs[0]
    assert all(b <= 1.5 * a + 1e-15 for a, b in zip(lrs, lrs[1:]))
    with pytest.raises(ValueError, match="'momentum' is not adapted"):
        h.set_guard("momentum", bounds=(0, 1))


def test_adapted_hyperparameters_stay_in_their_default_bounds():
    rng = np.random.default_rng(0)
    w = Tensor(rng.standard_normal(5), requires_grad=True)
    h = hyper.FirstOrder(optim.SGD([w], lr=0.05, momentum=0.5), hyper_lr=1e4, hyperparams=("momentum",))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(8):
            h.step(lambda: (w * w).sum())
    ms = [r["momentum"] for r in h.history]
    assert all(0.0 <= m <= 0.9999 for m in ms) and len(set(ms)) > 1
    assert h.optimizer.param_groups[0]["momentum"] == ms[-1]


class _Growing(optim.Optimizer):
    """d' = 3·d each step (a runaway adapted scalar), w' = w - η·d·g."""

    def __init__(self, params, lr=0.1):
        super().__init__(params, dict(lr=lr))

    def init_group_state(self, group):
        return {"d": Tensor.ones((), dtype=group["params"][0].dtype)}

    def phi_group(self, ws, gs, states, c, lrs, group, steps, loss=None):
        d = c["d"] * 3.0
        return [w - lr * d * g for w, g, lr in zip(ws, gs, lrs)], states, {"d": d}


def test_group_state_guard_caps_and_bounds_an_optimizer_quantity():
    w = Tensor(np.ones(3), requires_grad=True)
    opt = _Growing([w])
    opt.set_guard("d", bounds=(None, 5.0), max_growth=2.0)
    ds = []
    for _ in range(4):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
        ds.append(opt.adapted()["d"])
    assert ds == [2.0, 4.0, 5.0, 5.0]
    with pytest.raises(ValueError, match="no group-state quantity 'r'"):
        opt.set_guard("r", bounds=(0, 1))


def test_lossgrad_eta_goes_through_the_same_guard():
    w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    h = hyper.LossGrad(optim.SGD([w], lr=1e-4), c=2.0)  # tiny steps: the linear model is accurate, η doubles
    h.set_guard("lr", max_growth=1.25)
    for _ in range(4):
        h.step(lambda: (w * w).sum())
    lrs = [1e-4] + [h.lr]
    assert h.lr == pytest.approx(1e-4 * 1.25 ** 4)
    assert lrs[-1] < 1e-4 * 2.0 ** 4

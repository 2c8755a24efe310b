"""Majumder, Donini & Chaudhari (2019), Figure 1 (examples/rosenbrock): problem (1) on Rosenbrock's function."""
import numpy as np

import tinygrad_lr as tl
from tinygrad_lr import hyper, optim
from tinygrad_lr.autograd import grad
from tinygrad_lr.examples.rosenbrock import compute as rb


def test_schedule_gradient_matches_central_differences():
    etas = np.array([2e-3, 1e-3, 5e-4, 1e-3])
    f, g = rb.schedule_gradient(etas)
    assert np.isclose(f, rb.rosenbrock(*rb.trajectory(etas)[-1]), rtol=1e-14)
    h = 1e-7
    fd = [(rb.rosenbrock(*rb.trajectory(etas + h * e)[-1]) - rb.rosenbrock(*rb.trajectory(etas - h * e)[-1])) / (2 * h)
          for e in np.eye(4)]
    np.testing.assert_allclose(g, fd, rtol=1e-6)


def test_per_step_gradient_sums_to_unrolled_run_of_one_eta():
    """With every η_t equal, d f(w_T)/dη (hyper.unrolled_run: one leaf for all steps) = Σ_t ∂f(w_T)/∂η_t."""
    eta = 1.5e-3
    x = tl.Tensor(rb.START[0], requires_grad=True, dtype="float64")
    y = tl.Tensor(rb.START[1], requires_grad=True, dtype="float64")
    ws, theta = hyper.unrolled_run(optim.SGD([x, y], lr=eta), lambda w, t: rb.rosenbrock(*w), 4)
    (d,) = grad(rb.rosenbrock(*ws), [theta])
    _, g = rb.schedule_gradient([eta] * 4)
    assert np.isclose(float(d.item()), g.sum(), rtol=1e-12)


def test_problem_1_reaches_the_minimum_in_four_steps_and_one_over_t_does_not():
    res = rb.experiment(restarts=3, long_steps=300)
    assert res["distance_final"] < 1e-10 and len(res["schedule"]) == 4
    assert np.allclose(rb.trajectory(res["schedule"])[-1], [1, 1], atol=1e-10)
    assert res["inverse_t_4"]["distance_final"] > 0.1 and res["inverse_t_long"]["distance_final"] > 0.1
    assert res["verdict"].startswith("REPRODUCED")
    assert res["gradient_check_max_rel_err"] < 1e-5


def test_verdict_says_not_reproduced_when_the_schedule_misses():
    res = {"steps": 4, "distance_final": 0.3, "inverse_t_4": {"distance_final": 0.7, "eta0": 1e-3},
           "inverse_t_long": {"distance_final": 1.9, "eta0": 1e-3, "steps": 100}}
    assert rb.verdict(res).startswith("NOT REPRODUCED")

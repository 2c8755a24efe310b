"""The RMSProp tutorial's three figures (examples/rmsprop_example/tutorial.py, figures.py): the C_a closed form
against the scheme's own two steps, the trajectories, the verdicts and the files."""
import json
import math

import numpy as np

from tinygrad_lr.examples import rmsprop_example
from tinygrad_lr.examples.rmsprop_example import tutorial


def test_c_a_is_the_schemes_second_step():
    """C_a(g1, g2) = |v(2)| − |g2| (η = 1) from the scheme's recursion s(t) = βs + (1−β)g², v = g/√(s + ε)."""
    r = np.random.default_rng(0)
    for beta in (0.0, 0.5, 0.9, 0.99):
        for g1, g2 in r.normal(scale=3, size=(20, 2)):
            s = (1 - beta) * g1 ** 2
            s = beta * s + (1 - beta) * g2 ** 2
            v2 = g2 / math.sqrt(s + 1e-8)
            assert math.isclose(tutorial.c_a(g1, g2, beta), abs(v2) - abs(g2), rel_tol=1e-12, abs_tol=1e-12)


def test_trajectories_start_at_w0_and_beta0_moves_every_coordinate_by_eta():
    trajs = tutorial.trajectories()
    for t in trajs.values():
        assert t.shape == (tutorial.TRAJ_STEPS + 1, 2) and tuple(t[0]) == (-15.0, 20.0)
    b0 = trajs["adaptive, β = 0"]
    np.testing.assert_allclose(np.abs(np.diff(b0[:10], axis=0)), tutorial.TRAJ_ETA, rtol=1e-6)
    assert tutorial.path_length(np.array([[3.0, 4.0], [0.0, 0.0]])) == 5.0


def test_update_vectors_are_the_worked_example():
    uv = tutorial.update_vectors()
    np.testing.assert_allclose(uv["adaptive"]["w"][1], (-14.84, 19.84), atol=0.005)
    np.testing.assert_allclose(uv["gd"]["w"][2], (-14.82, 19.21), atol=0.005)


def test_run_writes_the_figures_and_the_verdicts(tmp_path):
    rows, ok = rmsprop_example.run(str(tmp_path), log=lambda *a: None)
    assert ok
    m = json.loads((tmp_path / "tutorial.json").read_text())
    assert [v["figure"] for v in m["verdicts"]] == [1, 2, 2, 2, 3, 3, 3]
    assert all(v["verdict"] in ("AGREES", "DISAGREES", "UNTESTED") for v in m["verdicts"])
    for name in ("update_vectors", "trajectories", "c_a"):
        assert (tmp_path / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

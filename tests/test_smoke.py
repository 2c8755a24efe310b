import numpy as np

import tinygrad_lr as tl
from tinygrad_lr import Tensor


def test_cubic_grad_and_hvp():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = (x ** 3).sum()
    g, = tl.grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), 3 * x.numpy() ** 2)
    hv, = tl.hvp(y, x, Tensor.ones(2, 2))
    np.testing.assert_allclose(hv.numpy(), 6 * x.numpy())


def test_demo_runs(tmp_path, capsys):
    from tinygrad_lr.examples import demo
    demo.main(["--beale-iters", "50", "--out", str(tmp_path), "--no-mnist"])
    out = capsys.readouterr().out
    assert "GD vs GD+" in out and "| RMSProp-style | w(2)" in out
    assert (tmp_path / "beale" / "trajectories.png").exists()

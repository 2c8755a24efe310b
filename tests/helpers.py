"""Shared by the op and functional tests (test_ops_*.py, test_functional.py, test_dtypes.py): float64 leaves drawn
from one rewound generator, and the first- plus second-order derivative check; and by the tangent tests
(test_hyper.py, test_optim_lrfree.py): a run at a fixed η for central differences in η.

Imported as `from helpers import ...`: tests/ has no __init__.py, so pytest's default import mode puts tests/ on
sys.path (as it does for `from conftest import ...`)."""
import json
import math
from pathlib import Path

import numpy as np

import tinygrad_lr as tl
from tinygrad_lr import Tensor
from tinygrad_lr.gradcheck import gradcheck, gradgradcheck

SEED = 1234
R = np.random.default_rng(SEED)


def reset_rng():
    """Rewind R to SEED in place (so `from helpers import R` stays valid). conftest.py does this before every
    test: each test draws the same numbers whether it runs alone or with the others."""
    R.bit_generator.state = np.random.default_rng(SEED).bit_generator.state


def t(*shape, lo=None, hi=None, away=None, seed=None):
    """A float64 leaf. lo/hi: uniform range; away: |x| >= away (keeps kinks of relu/abs out of the FD stencil)."""
    r = R if seed is None else np.random.default_rng(seed)
    if lo is not None:
        a = r.uniform(lo, hi, shape)
    elif away is not None:
        a = r.choice([-1.0, 1.0], shape) * r.uniform(away, 1.5, shape)
    else:
        a = r.standard_normal(shape)
    return Tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def distinct(*shape, seed=0):
    """Values that are pairwise at least 0.05 apart (no ties for max/min/maximum)."""
    r = np.random.default_rng(seed)
    n = math.prod(shape)
    a = (r.permutation(n) * 0.1 - n * 0.05 + r.uniform(0, 0.05, n)).reshape(shape)
    return Tensor(a.astype(np.float64), requires_grad=True)


def check(fn, *inputs, atol=1e-5, rtol=1e-3, second=True):
    """gradcheck, then (unless second=False) gradgradcheck: full Jacobians against central differences."""
    assert gradcheck(fn, list(inputs), atol=atol, rtol=rtol)
    if second:
        assert gradgradcheck(fn, list(inputs), atol=atol, rtol=rtol)


def hvp_vs_fd(inputs, loss_fn, rng):
    """tl.hvp(loss_fn(), inputs, v) against (∇L(w + εv) − ∇L(w − εv)) / 2ε for a random v (inputs in float64)."""
    v = [Tensor(rng.standard_normal(p.shape)) for p in inputs]
    hv = tl.hvp(loss_fn(), inputs, v)
    base = [p.numpy().copy() for p in inputs]

    def grads_at(sign, eps=1e-5):
        for p, b, u in zip(inputs, base, v):
            p.data = Tensor(b + sign * eps * u.numpy(), device=p.device).data
        return [g.numpy() for g in tl.grad(loss_fn(), inputs)]
    gp, gm = grads_at(1), grads_at(-1)
    for p, b in zip(inputs, base):
        p.data = Tensor(b, device=p.device).data
    fd = np.concatenate([((a - b) / 2e-5).ravel() for a, b in zip(gp, gm)])
    an = np.concatenate([h.numpy().ravel() for h in hv])
    np.testing.assert_allclose(an, fd, rtol=1e-4, atol=1e-6 * np.abs(fd).max())


def runs_without_times(out):
    """A grid's runs.json with each run's wall time removed (checked to be there): what must not depend on the
    executor, the number of workers or where the grid stopped."""
    runs = json.loads((Path(out) / "runs.json").read_text())
    for r in runs:
        assert r.pop("seconds") >= 0
    return runs


def fixed_eta_run(make_opt, make_params, loss_fn, eta, steps):
    """The parameters after `steps` plain steps of make_opt(make_params()) at a fixed η, loss_fn(params, t) giving
    step t's loss: one side of a central difference in η."""
    ps = make_params()
    opt = make_opt(ps)
    for g in opt.param_groups:
        g["lr"] = eta
    for t in range(steps):
        opt.zero_grad()
        loss_fn(ps, t).backward()
        opt.step()
    return ps

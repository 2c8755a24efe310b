"""accumulate.py's shortcuts (in-place sums, sparse slice gradients, .grad without a copy) change no value: the
same gradients as the plain rule, on graphs that exercise each of them."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import Tensor, accumulate, nn


def _grads(fn, fast, monkeypatch):
    monkeypatch.setattr(accumulate, "FAST", fast)
    tl.manual_seed(0)
    leaves = fn()
    return [p.grad.numpy().copy() for p in leaves]


def _slices_and_reuse():
    x = Tensor(np.random.default_rng(0).standard_normal((6, 4)), requires_grad=True)
    w = Tensor(np.random.default_rng(1).standard_normal((4, 4)), requires_grad=True)
    h = x[0]
    for t in range(1, 6):  # per-step slices of one tensor, and w used at every step
        h = (x[t] + h @ w).tanh()
    (h.sum() + x[[0, 0, 2]].sum() + (x * x).sum()).backward()
    return [x, w]


def _lstm():
    m = nn.LSTM(3, 5, num_layers=2, bidirectional=True)
    x = Tensor(np.random.default_rng(2).standard_normal((7, 2, 3)))
    out, (h, c) = m(x)
    (out.sum() + h.sum()).backward()
    return m.parameters()


@pytest.mark.parametrize("graph", [_slices_and_reuse, _lstm])
def test_fast_paths_give_the_plain_sums(graph, monkeypatch):
    fast, plain = _grads(graph, True, monkeypatch), _grads(graph, False, monkeypatch)
    assert len(fast) == len(plain)
    for a, b in zip(fast, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_plain_sums_are_still_exact(monkeypatch):
    monkeypatch.setattr(accumulate, "FAST", False)
    x = Tensor(np.arange(4.0), requires_grad=True)
    (x[1:3].sum() + x[[0, 0]].sum() + (x * 3).sum()).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 4.0, 4.0, 3.0])

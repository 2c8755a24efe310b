"""Batch normalisation as one op (tinygrad_lr/ops/norm.py, F.batch_norm): values against the formula on 2-, 3- and
4-D inputs in any layout, the plain backward (arrays) against the recorded one (Tensor ops), first- and
second-order checks in float64, and an HVP through conv -> BatchNorm -> ReLU against central differences."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor

from helpers import check, t


def _ref(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return y if w is None else y * w.reshape(shape) + b.reshape(shape)


SHAPES = [(6, 3), (4, 3, 5), (3, 2, 4, 5)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("layout", ["c", "batch_last"])
def test_values_and_statistics(shape, affine, layout):
    a = np.random.default_rng(0).standard_normal(shape) * 3 + 1
    arr = a if layout == "c" else np.ascontiguousarray(np.moveaxis(a, 0, -1)).transpose(
        (a.ndim - 1,) + tuple(range(a.ndim - 1)))
    np.testing.assert_array_equal(arr, a)
    w, b = (t(shape[1]), t(shape[1])) if affine else (None, None)
    rm, rv = Tensor(np.zeros(shape[1])), Tensor(np.ones(shape[1]))
    y = F.batch_norm(Tensor(arr), rm, rv, w, b, training=True, momentum=0.25)
    np.testing.assert_allclose(y.numpy(), _ref(a, None if w is None else w.numpy(), None if b is None else b.numpy()),
                               rtol=1e-10, atol=1e-12)
    axes = (0,) + tuple(range(2, a.ndim))
    np.testing.assert_allclose(rm.numpy(), 0.25 * a.mean(axes), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * a.var(axes, ddof=1), rtol=1e-12)
    if a.ndim == 4 and layout == "batch_last":  # conv outputs stay batch-last
        assert y.data.transpose(1, 2, 3, 0).flags.c_contiguous


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_plain_backward_equals_recorded_backward(shape):
    """The array formulas of a plain backward and the Tensor-op formulas recorded under create_graph agree."""
    x, w, b = t(*shape), t(shape[1]), t(shape[1])
    g = Tensor(np.random.default_rng(1).standard_normal(shape))
    plain = tl.grad(F.batch_norm(x, None, None, w, b, training=True), (x, w, b), g)
    recorded = tl.grad(F.batch_norm(x, None, None, w, b, training=True), (x, w, b), g, create_graph=True)
    for p, r in zip(plain, recorded):
        np.testing.assert_allclose(p.numpy(), r.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("affine", [True, False])
def test_grad_gradgrad(shape, affine):
    if affine:
        check(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), t(*shape), t(shape[1]), t(shape[1]))
    else:
        check(lambda x: F.batch_norm(x, None, None, training=True) ** 2, t(*shape))


def test_eval_mode_uses_running_statistics():
    x, w, b = t(4, 3, 2, 2), t(3), t(3)
    rm, rv = Tensor(np.array([0.5, -1.0, 2.0])), Tensor(np.array([1.5, 0.5, 2.0]))
    y = F.batch_norm(x, rm, rv, w, b, training=False)
    want = (x.numpy() - rm.numpy()[:, None, None]) / np.sqrt(rv.numpy()[:, None, None] + 1e-5) * \
        w.numpy()[:, None, None] + b.numpy()[:, None, None]
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    check(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False), t(2, 3, 2, 2), t(3), t(3))


def test_hvp_through_conv_batchnorm_relu_vs_central_differences():
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((4, 2, 5, 5)))
    ps = [Tensor(rng.standard_normal(s) * 0.5, requires_grad=True) for s in [(3, 2, 3, 3), (3,), (3,), (2, 27)]]
    y = np.array([0, 1, 1, 0])

    def loss(w, g, b, lin):
        h = F.batch_norm(F.conv2d(x, w, padding=1, stride=2), None, None, g, b, training=True).tanh()
        return F.cross_entropy(h.reshape(4, -1) @ lin.T, y)
    v = [Tensor(rng.standard_normal(p.shape)) for p in ps]
    hv = tl.hvp(loss(*ps), ps, v)

    def grads(sign, eps=1e-6):
        pts = [Tensor(p.numpy() + sign * eps * u.numpy(), requires_grad=True) for p, u in zip(ps, v)]
        return [a.numpy() for a in tl.grad(loss(*pts), pts)]
    for h, a, c in zip(hv, grads(1), grads(-1)):
        np.testing.assert_allclose(h.numpy(), (a - c) / 2e-6, rtol=1e-4, atol=1e-6)

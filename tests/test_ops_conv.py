"""Convolution and pooling (tinygrad_lr/ops/conv.py: unfold/fold, and F.conv2d, F.max_pool2d, F.avg_pool2d
built on them): values against naive loops, max-pool ties and dilation, fold as unfold's adjoint; gradcheck and
gradgradcheck in float64."""
import numpy as np
import pytest

import tinygrad_lr.functional as F
from tinygrad_lr import Tensor

from helpers import check, distinct, t


def naive_conv2d(x, w, b, stride, padding, dilation):
    N, C, H, W = x.shape
    O, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp_ = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, O, oh, ow))
    for n in range(N):
        for o in range(O):
            for i in range(oh):
                for j in range(ow):
                    s = 0.0
                    for c in range(C):
                        for a in range(kh):
                            for e in range(kw):
                                s += xp_[n, c, i * sh + a * dh, j * sw + e * dw] * w[o, c, a, e]
                    out[n, o, i, j] = s + (b[o] if b is not None else 0.0)
    return out


CONV = [dict(), dict(stride=2), dict(padding=1), dict(dilation=2), dict(stride=(2, 1), padding=(1, 2)),
        dict(stride=2, padding=1, dilation=(1, 2))]


@pytest.mark.parametrize("kw", CONV, ids=str)
def test_conv2d_values_against_naive_loops(kw):
    x, w, b = t(2, 2, 5, 6), t(3, 2, 2, 3), t(3)
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    want = naive_conv2d(x.numpy(), w.numpy(), b.numpy(), pair(kw.get("stride", 1)), pair(kw.get("padding", 0)),
                        pair(kw.get("dilation", 1)))
    got = F.conv2d(x, w, b, **kw)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.conv2d(x, w, **kw).numpy(), want - b.numpy()[None, :, None, None], rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2, padding=1)], ids=str)
def test_conv2d_grad_gradgrad(kw):
    x, w, b = t(1, 2, 4, 4), t(2, 2, 2, 2), t(2)
    check(lambda x, w, b: F.conv2d(x, w, b, **kw), x, w, b)


def naive_pool(x, k, s, p, op, count_include_pad=True, pad_value=0.0):
    N, C, H, W = x.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=pad_value)
    real = np.pad(np.ones((H, W)), ((p, p), (p, p)))
    oh, ow = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    out = np.zeros((N, C, oh, ow))
    grad = np.zeros_like(x)  # d(sum out)/dx for max: the first maximum of each window (row-major)
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    win = xp_[n, c, i * s:i * s + k, j * s:j * s + k]
                    if op == "max":
                        out[n, c, i, j] = win.max()
                        a, e = np.unravel_index(np.argmax(win), win.shape)  # argmax: first occurrence
                        grad[n, c, i * s + a - p, j * s + e - p] += 1
                    else:
                        cnt = k * k if count_include_pad else real[i * s:i * s + k, j * s:j * s + k].sum()
                        out[n, c, i, j] = win.sum() / cnt
    return out, grad


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 1)])
def test_max_pool2d_values_and_grad_against_naive(k, s, p):
    x = distinct(2, 2, 5, 5, seed=11)
    want, wgrad = naive_pool(x.numpy(), k, s, p, "max", pad_value=-np.inf)
    out = F.max_pool2d(x, k, s, p)
    np.testing.assert_array_equal(out.numpy(), want)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), wgrad)


def test_max_pool2d_ties_send_gradient_to_first_maximum():
    x = Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    want = np.zeros((4, 4))
    want[::2, ::2] = 1
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], want)
    # overlapping windows (kernel 3, stride 2, padding 1) over a plateau with ties
    a = np.zeros((1, 1, 5, 5))
    a[0, 0, 1:4, 1:4] = 2.0
    x = Tensor(a, requires_grad=True)
    F.max_pool2d(x, 3, 2, 1).sum().backward()
    _, wgrad = naive_pool(a, 3, 2, 1, "max", pad_value=-np.inf)
    np.testing.assert_array_equal(x.grad.numpy(), wgrad)
    assert wgrad.sum() == 9 and wgrad[0, 0, 1, 1] == 4  # the first maximum of four windows


@pytest.mark.parametrize("k,s,p", [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, None, 1)])
@pytest.mark.parametrize("cip", [True, False])
def test_avg_pool2d_values_against_naive(k, s, p, cip):
    x = t(2, 2, 5, 5)
    want, _ = naive_pool(x.numpy(), k, k if s is None else s, p, "avg", count_include_pad=cip)
    np.testing.assert_allclose(F.avg_pool2d(x, k, s, p, count_include_pad=cip).numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("fn", ["max", "avg_incl", "avg_excl"])
def test_pool_grad_gradgrad_overlapping(fn):
    x = distinct(1, 2, 5, 5, seed=5)
    f = {"max": lambda x: F.max_pool2d(x, 3, 2, 1),
         "avg_incl": lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=True),
         "avg_excl": lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)}[fn]
    check(f, x)
    check(lambda x: f(x) * f(x), x)  # a non-linear use: the second order is not trivially zero


def test_max_pool2d_dilation():
    x = distinct(1, 1, 5, 5, seed=2)
    out = F.max_pool2d(x, 2, 1, 0, dilation=2)
    a = x.numpy()[0, 0]
    want = np.array([[max(a[i, j], a[i + 2, j], a[i, j + 2], a[i + 2, j + 2]) for j in range(3)] for i in range(3)])
    np.testing.assert_array_equal(out.numpy()[0, 0], want)
    check(lambda x: F.max_pool2d(x, 2, 1, 0, dilation=2), x)


def naive_unfold(x, k, s, d, p):
    N, C, H, W = x.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (H + 2 * p - d * (k - 1) - 1) // s + 1, (W + 2 * p - d * (k - 1) - 1) // s + 1
    cols = np.zeros((C * k * k, N * oh * ow))
    for c in range(C):
        for a in range(k):
            for e in range(k):
                for n in range(N):
                    for i in range(oh):
                        for j in range(ow):
                            cols[(c * k + a) * k + e, (n * oh + i) * ow + j] = xp_[n, c, i * s + a * d, j * s + e * d]
    return cols


@pytest.mark.parametrize("k,s,d,p", [(2, 1, 1, 0), (3, 2, 1, 1), (2, 1, 2, 0), (2, 2, 1, 1)])
def test_unfold_fold(k, s, d, p):
    x = t(2, 2, 4, 5)
    cols = F.unfold(x, k, dilation=d, padding=p, stride=s)
    np.testing.assert_array_equal(cols.numpy(), naive_unfold(x.numpy(), k, s, d, p))
    check(lambda x: F.unfold(x, k, dilation=d, padding=p, stride=s), x)
    if p == 0:  # fold is unfold's adjoint: <unfold(x), c> == <x, fold(c)>
        c = t(*cols.shape)
        folded = F.fold(c, x.shape, k, dilation=d, stride=s)
        assert folded.shape == x.shape
        np.testing.assert_allclose((cols.numpy() * c.numpy()).sum(), (x.numpy() * folded.numpy()).sum(), rtol=1e-12)
        check(lambda c: F.fold(c, x.shape, k, dilation=d, stride=s), c)

"""The pooling ops of tinygrad_lr/ops/pool.py: max-pooling (a running maximum over the window offsets, the first
maximum's offset kept) and its adjoint pair MaxPoolScatter / MaxPoolGather, average pooling and its adjoint;
values and gradients against naive loops over kernels, strides (disjoint windows, windows that tile the input,
overlapping windows, strides larger than the kernel), paddings, dilations and inputs whose size the windows do not
divide; ties; the adjoint identities; first- and second-order checks in float64; forward mode; layouts."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor
from tinygrad_lr.ops.pool import AvgPool2d, AvgPool2dT, MaxPool2d, MaxPoolGather, MaxPoolScatter

from helpers import check, distinct, t


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def naive_max_pool(x, k, s, p, d):
    """Values, and d(Σ out)/dx with each window's gradient on its first maximum (row-major), as torch."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pair(k), _pair(s), _pair(p), _pair(d)
    N, C, H, W = x.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    oh, ow = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out, grad = np.zeros((N, C, oh, ow)), np.zeros_like(xp_)
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    win = xp_[n, c, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw]
                    out[n, c, i, j] = win.max()
                    a, e = np.unravel_index(np.argmax(win), win.shape)
                    grad[n, c, i * sh + a * dh, j * sw + e * dw] += 1
    return out, grad[:, :, ph:ph + H, pw:pw + W]


def naive_avg_pool(x, k, s, p, count_include_pad):
    (kh, kw), (sh, sw), (ph, pw) = _pair(k), _pair(s), _pair(p)
    N, C, H, W = x.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    real = np.pad(np.ones((H, W)), ((ph, ph), (pw, pw)))
    oh, ow = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    out = np.zeros((N, C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            win = xp_[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            cnt = kh * kw if count_include_pad else real[i * sh:i * sh + kh, j * sw:j * sw + kw].sum()
            out[:, :, i, j] = win.sum((2, 3)) / cnt
    return out


# (kernel, stride, padding, dilation, input H, W)
POOLS = [
    (2, 2, 0, 1, 6, 6),        # tiles the input: the scatter writes every position once, no zero fill
    (2, 2, 0, 1, 7, 5),        # disjoint, but the last row / column is in no window
    (3, 3, 1, 1, 7, 8),        # disjoint with padding
    (2, 3, 0, 1, 8, 8),        # stride > kernel: gaps between windows
    (3, 2, 1, 1, 7, 6),        # overlapping
    (3, 1, 1, 1, 5, 5),        # overlapping, unit stride
    ((2, 3), (1, 2), (1, 1), 1, 6, 7),
    (2, 1, 0, 2, 6, 5),        # dilated
    ((3, 2), 2, (1, 0), (2, 1), 9, 6),
]
PIDS = [str(p) for p in POOLS]


@pytest.mark.parametrize("k,s,p,d,H,W", POOLS, ids=PIDS)
def test_max_pool_values_and_gradient_against_naive(k, s, p, d, H, W):
    x = distinct(2, 3, H, W, seed=1)
    want, wgrad = naive_max_pool(x.numpy(), k, s, p, d)
    out = F.max_pool2d(x, k, s, p, d)
    np.testing.assert_array_equal(out.numpy(), want)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), wgrad)


@pytest.mark.parametrize("k,s,p,d,H,W", POOLS, ids=PIDS)
def test_max_pool_ties_go_to_the_first_maximum(k, s, p, d, H, W):
    x = np.random.default_rng(2).integers(0, 3, (2, 2, H, W)).astype(np.float64)  # many ties
    xt = Tensor(x, requires_grad=True)
    want, wgrad = naive_max_pool(x, k, s, p, d)
    out = F.max_pool2d(xt, k, s, p, d)
    np.testing.assert_array_equal(out.numpy(), want)
    out.sum().backward()
    np.testing.assert_array_equal(xt.grad.numpy(), wgrad)


@pytest.mark.parametrize("k,s,p,d,H,W", [c for c in POOLS if c[3] == 1], ids=[PIDS[i] for i, c in enumerate(POOLS)
                                                                           if c[3] == 1])
@pytest.mark.parametrize("cip", [True, False])
def test_avg_pool_values_against_naive(k, s, p, d, H, W, cip):
    x = t(2, 3, H, W)
    np.testing.assert_allclose(F.avg_pool2d(x, k, s, p, count_include_pad=cip).numpy(),
                               naive_avg_pool(x.numpy(), k, s, p, cip), rtol=1e-12)


@pytest.mark.parametrize("k,s,p,d,H,W", POOLS, ids=PIDS)
def test_adjoint_pairs(k, s, p, d, H, W):
    """<scatter(g), h> = <g, gather(h)> for the max-pool positions, and <avg(x), g> = <x, avgᵀ(g)>."""
    geo = dict(kernel=_pair(k), stride=_pair(s), padding=_pair(p), dilation=_pair(d))
    x = distinct(2, 3, H, W, seed=3)
    out = MaxPool2d.apply(x, **geo)
    idx = out._ctx.idx
    rng = np.random.default_rng(4)
    g, h = Tensor(rng.standard_normal(out.shape)), Tensor(rng.standard_normal(x.shape))
    sc = MaxPoolScatter.apply(g, idx=idx, hw=(H, W), **geo).numpy()
    ga = MaxPoolGather.apply(h, idx=idx, **geo).numpy()
    np.testing.assert_allclose((sc * h.numpy()).sum(), (g.numpy() * ga).sum(), rtol=1e-12)
    np.testing.assert_array_equal(MaxPoolGather.apply(x, idx=idx, **geo).numpy(), out.numpy())  # gather(x) = max
    if d == 1:
        geo.pop("dilation")
        a = AvgPool2d.apply(h, scale=0.25, **geo).numpy()
        at = AvgPool2dT.apply(g, hw=(H, W), scale=0.25, **geo).numpy()
        np.testing.assert_allclose((a * g.numpy()).sum(), (h.numpy() * at).sum(), rtol=1e-12)


CHECKS = [(2, 2, 0, 1, 4, 4), (2, 2, 0, 1, 5, 3), (2, 3, 0, 1, 5, 5), (3, 2, 1, 1, 5, 5),
          ((2, 3), (1, 2), (1, 1), 1, 4, 5), (2, 1, 0, 2, 4, 4)]


@pytest.mark.parametrize("k,s,p,d,H,W", CHECKS, ids=[str(c) for c in CHECKS])
def test_max_pool_grad_gradgrad(k, s, p, d, H, W):
    x = distinct(1, 2, H, W, seed=5)
    f = lambda x: F.max_pool2d(x, k, s, p, d)  # noqa: E731
    check(f, x)
    check(lambda x: f(x) * f(x), x)  # non-linear after the pooling: a non-zero second order


@pytest.mark.parametrize("k,s,p,d,H,W", [c for c in CHECKS if c[3] == 1], ids=[str(c) for c in CHECKS if c[3] == 1])
@pytest.mark.parametrize("cip", [True, False])
def test_avg_pool_grad_gradgrad(k, s, p, d, H, W, cip):
    x = t(1, 2, H, W)
    f = lambda x: F.avg_pool2d(x, k, s, p, count_include_pad=cip)  # noqa: E731
    check(f, x)
    check(lambda x: f(x) * f(x).tanh(), x)


def test_scatter_and_gather_grad_gradgrad():
    """The two linear ops on their own: each one's derivative is the other."""
    geo = dict(kernel=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(1, 1))
    x = distinct(1, 2, 5, 5, seed=6)
    idx = MaxPool2d.apply(x, **geo)._ctx.idx
    check(lambda g: MaxPoolScatter.apply(g, idx=idx, hw=(5, 5), **geo) ** 2, t(1, 2, 3, 3))
    check(lambda h: MaxPoolGather.apply(h, idx=idx, **geo) ** 2, t(1, 2, 5, 5))


def test_max_pool_jvp_gathers_the_tangent():
    x, tx = distinct(2, 2, 6, 6, seed=7), t(2, 2, 6, 6)
    out = F.max_pool2d(x, 3, 2, 1)
    got = tl.jvp(out, x, tx)[0].numpy()
    eps = 1e-7
    fd = (F.max_pool2d(Tensor(x.numpy() + eps * tx.numpy()), 3, 2, 1).numpy() -
          F.max_pool2d(Tensor(x.numpy() - eps * tx.numpy()), 3, 2, 1).numpy()) / (2 * eps)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8)


def test_pooling_keeps_the_batch_last_layout_and_reads_any_layout():
    a = np.random.default_rng(8).standard_normal((4, 3, 8, 8))
    chwn = np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    for arr in (a, chwn, np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)):
        for fn in (lambda x: F.max_pool2d(x, 2), lambda x: F.avg_pool2d(x, 3, 2, 1)):
            x = Tensor(arr, requires_grad=True)
            out = fn(x)
            assert out.data.transpose(1, 2, 3, 0).flags.c_contiguous
            np.testing.assert_array_equal(out.numpy(), fn(Tensor(a)).numpy())
            (out * out).sum().backward()
            ref = Tensor(a, requires_grad=True)
            (fn(ref) * fn(ref)).sum().backward()
            np.testing.assert_array_equal(x.grad.numpy(), ref.grad.numpy())


def test_max_pool_minus_infinity_and_float32():
    x = np.full((1, 1, 4, 4), -np.inf, np.float32)
    x[0, 0, 1, 1] = 3.0
    xt = Tensor(x, requires_grad=True)
    out = F.max_pool2d(xt, 2)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy()[0, 0], [[3.0, -np.inf], [-np.inf, -np.inf]])
    out.sum().backward()
    want = np.zeros((4, 4), np.float32)
    want[1, 1] = want[0, 2] = want[2, 0] = want[2, 2] = 1  # all -inf windows: the first position
    np.testing.assert_array_equal(xt.grad.numpy()[0, 0], want)

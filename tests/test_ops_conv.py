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


# ---- issue 10: groups, padding="same"/"valid", conv1d, conv_transpose2d, max_pool2d(ceil_mode, return_indices),
# adaptive_avg_pool2d, interpolate ------------------------------------------------------------------------------------
def naive_grouped(x, w, b, stride, padding, dilation, groups):
    C, O = x.shape[1], w.shape[0]
    outs = [naive_conv2d(x[:, g * C // groups:(g + 1) * C // groups], w[g * O // groups:(g + 1) * O // groups],
                         None if b is None else b[g * O // groups:(g + 1) * O // groups], stride, padding, dilation)
            for g in range(groups)]
    return np.concatenate(outs, 1)


@pytest.mark.parametrize("groups,kw", [(2, dict()), (4, dict(stride=2, padding=1)), (2, dict(dilation=2, padding=2))],
                         ids=str)
def test_conv2d_groups(groups, kw):
    x, w, b = t(2, 4, 5, 6), t(4, 4 // groups, 3, 2), t(4)
    geo = {k: (v, v) for k, v in dict(dict(stride=1, padding=0, dilation=1), **kw).items()}
    np.testing.assert_allclose(F.conv2d(x, w, b, groups=groups, **kw).numpy(),
                               naive_grouped(x.numpy(), w.numpy(), b.numpy(), geo["stride"], geo["padding"],
                                             geo["dilation"], groups), rtol=1e-10)
    check(lambda x, w, b: F.conv2d(x, w, b, groups=groups, **kw), t(1, 4, 4, 3), t(4, 4 // groups, 2, 2), t(4))
    with pytest.raises(ValueError, match="groups"):
        F.conv2d(x, t(3, 2, 3, 3), groups=3)


@pytest.mark.parametrize("k,d", [((3, 3), 1), ((2, 4), 1), ((3, 2), 2)], ids=str)
def test_conv2d_padding_same_and_valid(k, d):
    x, w = t(2, 2, 5, 6), t(3, 2, *k)
    y = F.conv2d(x, w, padding="same", dilation=d)
    assert y.shape == (2, 3, 5, 6)
    tot = [d * (kk - 1) for kk in k]  # torch: half before (rounded down), the rest after
    xp_ = np.pad(x.numpy(), ((0, 0), (0, 0), (tot[0] // 2, tot[0] - tot[0] // 2), (tot[1] // 2, tot[1] - tot[1] // 2)))
    np.testing.assert_allclose(y.numpy(), naive_conv2d(xp_, w.numpy(), None, (1, 1), (0, 0), (d, d)), rtol=1e-10)
    np.testing.assert_allclose(F.conv2d(x, w, padding="valid", dilation=d).numpy(),
                               F.conv2d(x, w, dilation=d).numpy())
    check(lambda x, w: F.conv2d(x, w, padding="same", dilation=d), t(1, 2, 4, 4), t(2, 2, *k))
    with pytest.raises(ValueError, match="stride 1"):
        F.conv2d(x, w, stride=2, padding="same")


@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1), dict(dilation=2), dict(padding="same"),
                                dict(groups=2)], ids=str)
def test_conv1d(kw):
    x, w, b = t(2, 4, 9), t(6, 4 // kw.get("groups", 1), 3), t(6)
    got = F.conv1d(x, w, b, **kw)
    want = F.conv2d(x.unsqueeze(2), w.unsqueeze(2), b, **{k: ((1, v) if k in ("stride", "dilation") else
                                                                (0, v) if k == "padding" and v != "same" else v)
                                                             for k, v in kw.items()}).numpy()[:, :, 0]
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    # against numpy.correlate for the plain case
    if not kw:
        ref = np.stack([np.stack([sum(np.correlate(x.numpy()[n, c], w.numpy()[o, c], "valid") for c in range(4))
                                  + b.numpy()[o] for o in range(6)]) for n in range(2)])
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-10)
    check(lambda x, w, b: F.conv1d(x, w, b, **kw), t(1, 4, 6), t(2, 4 // kw.get("groups", 1), 3), t(2))


def naive_conv_transpose2d(x, w, stride, padding, output_padding, dilation):
    N, Ci, h, wd = x.shape
    _, Co, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    H = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    W = (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    full = np.zeros((N, Co, H, W))
    for n in range(N):
        for c in range(Ci):
            for i in range(h):
                for j in range(wd):
                    for a in range(kh):
                        for e in range(kw):
                            full[n, :, i * sh + a * dh, j * sw + e * dw] += x[n, c, i, j] * w[c, :, a, e]
    return full[:, :, ph:H - ph, pw:W - pw]


@pytest.mark.parametrize("kw", [dict(), dict(stride=2), dict(stride=2, padding=1, output_padding=1),
                                dict(stride=(2, 3), output_padding=(1, 2)), dict(dilation=2, padding=1),
                                dict(groups=2, stride=2)], ids=str)
def test_conv_transpose2d(kw):
    groups = kw.get("groups", 1)
    x, w, b = t(2, 4, 3, 4), t(4, 6 // groups, 3, 2), t(6)
    geo = dict(stride=1, padding=0, output_padding=0, dilation=1)
    geo.update({k: v for k, v in kw.items() if k != "groups"})
    pairs = [v if isinstance(v, tuple) else (v, v) for v in (geo["stride"], geo["padding"], geo["output_padding"],
                                                             geo["dilation"])]
    xs, ws = np.split(x.numpy(), groups, 1), np.split(w.numpy(), groups, 0)
    want = np.concatenate([naive_conv_transpose2d(a, c, *pairs) for a, c in zip(xs, ws)], 1) + \
        b.numpy()[:, None, None]
    np.testing.assert_allclose(F.conv_transpose2d(x, w, b, **kw).numpy(), want, rtol=1e-10)
    check(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), t(1, 4, 2, 3), t(4, 6 // groups, 3, 2), t(6))


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    x, w, y = t(2, 3, 7, 6), t(4, 3, 3, 3), t(2, 4, 4, 3)
    lhs = (F.conv2d(x, w, stride=2, padding=1) * y).sum().item()
    rhs = (F.conv_transpose2d(y, w, stride=2, padding=1, output_padding=(0, 1)) * x).sum().item()
    assert abs(lhs - rhs) < 1e-10 * abs(lhs)


def torch_ceil_size(n, k, s, p, d):
    o = -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1
    return o - 1 if (o - 1) * s >= n + p else o


@pytest.mark.parametrize("H,k,s,p", [(5, 2, 2, 0), (6, 3, 2, 1), (7, 3, 3, 0), (4, 2, 2, 0), (8, 3, 3, 1)], ids=str)
def test_max_pool2d_ceil_mode_and_indices(H, k, s, p):
    x = distinct(2, 3, H, H + 1)
    out, idx = F.max_pool2d(x, k, s, p, ceil_mode=True, return_indices=True)
    oh, ow = torch_ceil_size(H, k, s, p, 1), torch_ceil_size(H + 1, k, s, p, 1)
    assert out.shape == idx.shape == (2, 3, oh, ow) and idx.dtype == np.int64
    a = x.numpy()
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - p, j * s - p
            win = a[:, :, max(r0, 0):r0 + k, max(c0, 0):c0 + k]
            np.testing.assert_array_equal(out.numpy()[:, :, i, j], win.max((2, 3)))
    np.testing.assert_array_equal(np.take_along_axis(a.reshape(2, 3, -1), idx.numpy().reshape(2, 3, -1), 2),
                                  out.numpy().reshape(2, 3, -1))
    check(lambda x: F.max_pool2d(x, k, s, p, ceil_mode=True), x)
    out2, idx2 = F.max_pool2d(x, k, s, p, return_indices=True)
    np.testing.assert_array_equal(np.take_along_axis(a.reshape(2, 3, -1), idx2.numpy().reshape(2, 3, -1), 2),
                                  out2.numpy().reshape(2, 3, -1))


@pytest.mark.parametrize("H,W,o", [(6, 6, 3), (5, 7, (3, 2)), (5, 4, 1), (4, 6, (None, 4)), (3, 3, 5)], ids=str)
def test_adaptive_avg_pool2d(H, W, o):
    x = t(2, 3, H, W)
    oh, ow = (o, o) if isinstance(o, int) else (H if o[0] is None else o[0], W if o[1] is None else o[1])
    a = x.numpy()
    want = np.zeros((2, 3, oh, ow))
    for i in range(oh):
        for j in range(ow):
            r0, r1 = (i * H) // oh, -(-((i + 1) * H) // oh)
            c0, c1 = (j * W) // ow, -(-((j + 1) * W) // ow)
            want[:, :, i, j] = a[:, :, r0:r1, c0:c1].mean((2, 3))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, o).numpy(), want, rtol=1e-12)
    check(lambda x: F.adaptive_avg_pool2d(x, o), x)


def test_interpolate_known_torch_values():
    x = Tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    np.testing.assert_allclose(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False).numpy()[0, 0],
                               [[1.0, 1.25, 1.75, 2.0], [1.5, 1.75, 2.25, 2.5], [2.5, 2.75, 3.25, 3.5],
                                [3.0, 3.25, 3.75, 4.0]])
    np.testing.assert_allclose(F.interpolate(x, size=4, mode="bilinear", align_corners=True).numpy()[0, 0],
                               np.array([[3, 4, 5, 6], [5, 6, 7, 8], [7, 8, 9, 10], [9, 10, 11, 12]]) / 3)
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=2).numpy()[0, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    np.testing.assert_array_equal(F.interpolate(Tensor(np.arange(5.0).reshape(1, 1, 5)), size=3).numpy()[0, 0],
                                  [0, 1, 3])  # floor(dst * 5/3)
    np.testing.assert_array_equal(F.interpolate(Tensor(np.arange(5.0).reshape(1, 1, 5)), size=3,
                                                mode="nearest-exact").numpy()[0, 0], [0, 2, 4])
    np.testing.assert_allclose(F.interpolate(Tensor(np.array([[[0.0, 3.0]]])), size=4, mode="linear").numpy()[0, 0],
                               [0, 0.75, 2.25, 3])
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)


@pytest.mark.parametrize("kw", [dict(size=(5, 3), mode="bilinear", align_corners=False),
                                dict(size=(5, 3), mode="bilinear", align_corners=True),
                                dict(scale_factor=1.5, mode="bilinear"), dict(size=(7, 2)), dict(scale_factor=2.5),
                                dict(size=(3, 5), mode="nearest-exact")], ids=str)
def test_interpolate_grad_gradgrad(kw):
    x = t(1, 2, 3, 4)
    y = F.interpolate(x, **kw)
    assert y.shape[2:] == (kw["size"] if "size" in kw else tuple(int(n * kw["scale_factor"]) for n in (3, 4)))
    check(lambda x: F.interpolate(x, **kw), x)

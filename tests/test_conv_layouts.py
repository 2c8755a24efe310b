"""The convolution ops of tinygrad_lr/ops/conv.py (Conv2d, ConvTranspose2d, ConvWeight): values against naive loops
over strides, paddings, dilations, non-square and 1x1 kernels, one block or many, and inputs in any memory layout;
the batch-last layout of their results and that elementwise ops, Pad and slice gradients keep it; the adjoint
identities that tie the three ops together (both routes of the input gradient); first- and second-order checks of
each op in float64; forward mode; an HVP through a small convnet against central differences."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor
from tinygrad_lr.ops import conv
from tinygrad_lr.ops.conv import Conv2d, ConvTranspose2d, ConvWeight

from helpers import check, t
from test_ops_conv import naive_conv2d


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _geo(stride=1, padding=0, dilation=1):
    return dict(stride=_pair(stride), padding=_pair(padding), dilation=_pair(dilation))


def _chwn_view(a):
    """The same values as a, stored batch-last: an (N, C, H, W) view of a (C, H, W, N) buffer."""
    return np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)


def _is_chwn(a):
    return a.transpose(1, 2, 3, 0).flags.c_contiguous


# (x shape, w shape, geometry): strides, paddings, dilations, non-square kernels, 1x1 (the pointwise path), a
# kernel as large as the padded input, and outputs whose windows leave rows and columns of the input unread
CONFIGS = [
    ((2, 3, 7, 6), (4, 3, 3, 3), dict()),
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(padding=1)),
    ((2, 3, 7, 6), (4, 3, 3, 2), dict(stride=2, padding=(1, 0))),
    ((2, 3, 8, 7), (2, 3, 2, 3), dict(stride=(2, 1), dilation=(1, 2))),
    ((2, 2, 9, 9), (3, 2, 3, 3), dict(stride=3, padding=2, dilation=2)),
    ((3, 4, 5, 5), (5, 4, 1, 1), dict()),
    ((3, 4, 5, 5), (5, 4, 1, 1), dict(stride=2)),
    ((2, 2, 4, 4), (3, 2, 4, 4), dict(padding=0)),
    ((2, 9, 6, 5), (3, 9, 3, 3), dict(padding=1)),           # C >= 8, "same": the input gradient as a conv
    ((2, 9, 6, 5), (3, 9, 3, 3), dict(padding=2, dilation=2)),
    ((1, 8, 5, 6), (2, 8, 5, 3), dict(padding=(2, 1))),
]
IDS = [f"{x}-{w}-{g}" for x, w, g in CONFIGS]


@pytest.fixture(params=[64, 1 << 40], ids=["many_blocks", "one_block"])
def block_bytes(request, monkeypatch):
    """Run with blocks of one output row (a tiny buffer) and with all rows in one block."""
    monkeypatch.setattr(conv, "BLOCK_BYTES", request.param)
    return request.param


@pytest.mark.parametrize("xs,ws,geo", CONFIGS, ids=IDS)
def test_conv_values_against_naive_loops(xs, ws, geo, block_bytes):
    x, w, b = t(*xs), t(*ws), t(ws[0])
    g = _geo(**geo)
    want = naive_conv2d(x.numpy(), w.numpy(), b.numpy(), g["stride"], g["padding"], g["dilation"])
    out = F.conv2d(x, w, b, **geo)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-10, atol=1e-12)
    assert _is_chwn(out.data)  # the result is an (N, C, H, W) view of a batch-last buffer


@pytest.mark.parametrize("xs,ws,geo", CONFIGS, ids=IDS)
def test_adjoint_identities(xs, ws, geo, block_bytes):
    """<conv(x, w), g> = <x, ConvTranspose2d(g, w)> = <w, ConvWeight(x, g)>: the three ops are the three bilinear
    maps of one trilinear form (and each is the others' derivative)."""
    x, w = t(*xs), t(*ws)
    g = _geo(**geo)
    y = Conv2d.apply(x, w, **g).numpy()
    u = np.random.default_rng(3).standard_normal(y.shape)
    gx = ConvTranspose2d.apply(Tensor(u), w, hw=xs[2:], **g).numpy()
    gw = ConvWeight.apply(x, Tensor(u), kernel=ws[2:], **g).numpy()
    assert gx.shape == xs and gw.shape == ws
    form = (y * u).sum()
    np.testing.assert_allclose((x.numpy() * gx).sum(), form, rtol=1e-11)
    np.testing.assert_allclose((w.numpy() * gw).sum(), form, rtol=1e-11)


@pytest.mark.parametrize("C", [9, 3], ids=["as_conv", "col2im"])
def test_input_gradient_against_col2im_of_wT_g(C):
    """The input gradient, taken as a convolution with the flipped kernel (unit stride, C >= 8) or as col2im of
    wᵀ @ g, against F.fold of wᵀ @ g over the padded input, cropped."""
    w = t(3, C, 3, 3)
    u = Tensor(np.random.default_rng(4).standard_normal((2, 3, 6, 5)))
    got = ConvTranspose2d.apply(u, w, hw=(6, 5), **_geo(padding=1)).numpy()
    cols = np.einsum("ok,nopq->knpq", w.numpy().reshape(3, -1), u.numpy()).reshape(C * 9, -1)  # wᵀ @ g
    want = F.fold(Tensor(cols), (2, C, 8, 7), 3).numpy()[:, :, 1:-1, 1:-1]
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("layout", ["nchw", "chwn", "nhwc", "strided"])
def test_any_input_layout_gives_the_same_values(layout):
    a = np.random.default_rng(0).standard_normal((2, 3, 10, 7))
    w, b = t(4, 3, 3, 3), t(4)
    want = F.conv2d(Tensor(a), w, b, padding=1, stride=(2, 1)).numpy()
    arr = {"nchw": a, "chwn": _chwn_view(a), "nhwc": np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
           "strided": np.pad(a, ((0, 0), (0, 0), (0, 0), (0, 7)))[:, :, :, :7]}[layout]
    np.testing.assert_array_equal(arr, a)
    x = Tensor(arr, requires_grad=True)
    out = F.conv2d(x, w, b, padding=1, stride=(2, 1))
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12, atol=1e-12)
    out.sum().backward()
    ref = Tensor(a, requires_grad=True)
    F.conv2d(ref, w, b, padding=1, stride=(2, 1)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_layout_is_kept_through_elementwise_pad_and_slice_gradients():
    x = t(4, 3, 6, 6)
    if x.device != "cpu":
        pytest.skip("memory layout is NumPy's: CuPy's ufuncs return C-ordered arrays")
    y = F.conv2d(x, t(5, 3, 3, 3), t(5), padding=1).relu() * 2.0 + 1.0
    assert _is_chwn(y.data)
    p = y.pad((0, 0, 0, 0, 1, 2))  # channels padded (ResNet's option-A shortcut): still batch-last
    assert p.shape == (4, 8, 6, 6) and _is_chwn(p.data)
    np.testing.assert_array_equal(p.numpy(), np.pad(y.numpy(), ((0, 0), (1, 2), (0, 0), (0, 0))))
    s = y[:, :, ::2, ::2]
    gy = tl.grad((s * s).sum() + y.sum(), y)[0]  # a slice gradient added to a dense one
    assert _is_chwn(gy.data)
    want = np.ones(y.shape)
    want[:, :, ::2, ::2] += 2 * y.numpy()[:, :, ::2, ::2]
    np.testing.assert_allclose(gy.numpy(), want, rtol=1e-12)


CHECKS = [
    ((1, 2, 4, 4), (2, 2, 2, 2), dict(stride=2, padding=1)),
    ((1, 2, 5, 4), (2, 2, 3, 2), dict(padding=(1, 0), dilation=(2, 1))),
    ((2, 2, 3, 3), (3, 2, 1, 1), dict()),
    ((1, 8, 3, 3), (2, 8, 3, 3), dict(padding=1)),            # the input gradient as a conv: its own checks
    ((1, 2, 5, 5), (1, 2, 3, 3), dict(stride=(2, 1), padding=1)),
]


@pytest.mark.parametrize("xs,ws,geo", CHECKS, ids=[str(c) for c in CHECKS])
def test_conv2d_grad_gradgrad(xs, ws, geo, monkeypatch):
    monkeypatch.setattr(conv, "BLOCK_BYTES", 64)  # one output row per block
    check(lambda x, w, b: F.conv2d(x, w, b, **geo), t(*xs), t(*ws), t(ws[0]))


@pytest.mark.parametrize("xs,ws,geo", CHECKS, ids=[str(c) for c in CHECKS])
def test_conv_transpose_and_weight_ops_grad_gradgrad(xs, ws, geo):
    g = _geo(**geo)
    y = Conv2d.apply(t(*xs), t(*ws), **g)
    check(lambda u, w: ConvTranspose2d.apply(u, w, hw=xs[2:], **g), t(*y.shape), t(*ws))
    check(lambda x, u: ConvWeight.apply(x, u, kernel=ws[2:], **g), t(*xs), t(*y.shape))


def test_conv_jvp_is_bilinear_against_central_differences():
    x, w, b = t(2, 3, 5, 5), t(4, 3, 3, 3), t(4)
    tx, tw, tb = t(2, 3, 5, 5), t(4, 3, 3, 3), t(4)
    f = lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1)  # noqa: E731
    out = f(x, w, b)
    got = tl.jvp(out, (x, w, b), (tx, tw, tb))[0].numpy()
    eps = 1e-6
    plus = f(Tensor(x.numpy() + eps * tx.numpy()), Tensor(w.numpy() + eps * tw.numpy()), Tensor(b.numpy() + eps * tb.numpy()))
    minus = f(Tensor(x.numpy() - eps * tx.numpy()), Tensor(w.numpy() - eps * tw.numpy()), Tensor(b.numpy() - eps * tb.numpy()))
    np.testing.assert_allclose(got, (plus.numpy() - minus.numpy()) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_float32_conv_matches_float64():
    x, w, b = t(3, 4, 9, 8), t(6, 4, 3, 3), t(6)
    want = F.conv2d(x, w, b, padding=1, stride=2).numpy()
    got = F.conv2d(x.float(), w.float(), b.float(), padding=1, stride=2)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)


def test_hvp_through_a_strided_dilated_convnet_vs_central_differences(monkeypatch):
    """Conv (stride 2, padding) -> tanh -> conv (dilation 2) -> max-pool (overlapping) -> avg-pool -> linear, in
    small blocks: H·v against central differences of gradients."""
    monkeypatch.setattr(conv, "BLOCK_BYTES", 64)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((3, 2, 11, 11)))
    ws = [Tensor(rng.standard_normal(s) * 0.5, requires_grad=True) for s in [(4, 2, 3, 3), (4,), (8, 4, 2, 2), (3, 8)]]
    y = np.array([0, 2, 1])

    def loss(w1, b1, w2, w3):
        h = F.conv2d(x, w1, b1, stride=2, padding=1).tanh()
        h = F.conv2d(h, w2, dilation=2)
        h = F.avg_pool2d(F.max_pool2d(h, 3, 2, 1), 2)
        return F.cross_entropy(h.reshape(3, -1) @ w3.T, y)
    v = [Tensor(rng.standard_normal(p.shape)) for p in ws]
    hv = tl.hvp(loss(*ws), ws, v)

    def g(sign, eps=1e-6):
        pts = [Tensor(p.numpy() + sign * eps * u.numpy(), requires_grad=True) for p, u in zip(ws, v)]
        return [a.numpy() for a in tl.grad(loss(*pts), pts)]
    fd = [(a - b) / 2e-6 for a, b in zip(g(1), g(-1))]
    for h, f in zip(hv, fd):
        np.testing.assert_allclose(h.numpy(), f, rtol=1e-4, atol=1e-6)

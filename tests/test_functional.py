"""tinygrad_lr.functional apart from convolution and pooling: activations, softmax / log_softmax / logsumexp
(also at ±1e4 logits), linear, dropout, the losses against NumPy reference formulas, embedding; gradcheck and
gradgradcheck in float64."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor

from helpers import R, check, t


def test_activations_grad_gradgrad():
    x = t(2, 3, away=0.1)
    for fn in (F.relu, F.sigmoid, F.tanh):
        np.testing.assert_allclose(fn(x).numpy(), {F.relu: lambda a: np.maximum(a, 0),
                                                    F.sigmoid: lambda a: 1 / (1 + np.exp(-a)),
                                                    F.tanh: np.tanh}[fn](x.numpy()), rtol=1e-12)
        check(fn, x)


def np_log_softmax(a, axis):
    m = a.max(axis=axis, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_log_softmax(dim):
    x = t(2, 3, 2)
    np.testing.assert_allclose(F.softmax(x, dim).numpy(), np.exp(np_log_softmax(x.numpy(), dim)), rtol=1e-12)
    np.testing.assert_allclose(F.log_softmax(x, dim).numpy(), np_log_softmax(x.numpy(), dim), rtol=1e-12)
    np.testing.assert_allclose(x.softmax(dim).numpy().sum(axis=dim), 1.0, rtol=1e-12)
    check(lambda x: F.softmax(x, dim), x)
    check(lambda x: F.log_softmax(x, dim), x)


@pytest.mark.parametrize("kw", [dict(), dict(dim=1), dict(dim=-1, keepdim=True), dict(dim=(0, 2)),
                                dict(dim=None, keepdim=True)], ids=str)
def test_logsumexp(kw):
    x = t(2, 3, 2)
    a = x.numpy()
    axis = kw.get("dim")
    want = np.log(np.exp(a).sum(axis=axis, keepdims=kw.get("keepdim", False)))
    out = F.logsumexp(x, **kw)
    assert out.shape == np.shape(want)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(x.logsumexp(**kw).numpy(), want, rtol=1e-12)
    check(lambda x: F.logsumexp(x, **kw), x)


def test_huge_logits_stay_finite():
    a = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4 - 1.0, 1e4]])
    tgt = np.array([1, 0, 2])
    for dt in (np.float64, np.float32):
        x = Tensor(a.astype(dt), requires_grad=True)
        sm, lsm, lse = F.softmax(x, 1), F.log_softmax(x, 1), F.logsumexp(x, 1)
        ce = F.cross_entropy(x, tgt)
        for v in (sm, lsm, lse, ce):
            assert np.all(np.isfinite(v.numpy()))
        np.testing.assert_allclose(lsm.numpy(), np_log_softmax(a, 1), rtol=1e-6)
        np.testing.assert_allclose(sm.numpy(), np.exp(np_log_softmax(a, 1)), rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(lse.numpy(), a.max(1) + np.log(np.exp(a - a.max(1, keepdims=True)).sum(1)),
                                   rtol=1e-7 if dt == np.float32 else 1e-12)
        for y in (sm[:, 0].sum() + lsm.sum() * 1e-3, lse.sum(), ce):
            g, = tl.grad(y, x, retain_graph=True)
            assert np.all(np.isfinite(g.numpy()))
        g, = tl.grad(ce, x)
        want = (np.exp(np_log_softmax(a, 1)) - np.eye(3)[tgt]) / 3
        np.testing.assert_allclose(g.numpy(), want, atol=1e-6)
        # second order stays finite too
        hv, = tl.hvp(lambda z: F.cross_entropy(z, tgt), x, Tensor(np.ones_like(a).astype(dt)))
        assert np.all(np.isfinite(hv.numpy()))


@pytest.mark.parametrize("shape_x,bias", [((2, 3), True), ((2, 3), False), ((2, 2, 3), True)])
def test_linear(shape_x, bias):
    x, w = t(*shape_x), t(2, 3)
    b = t(2) if bias else None
    want = x.numpy() @ w.numpy().T + (b.numpy() if bias else 0)
    np.testing.assert_allclose(F.linear(x, w, b).numpy(), want, rtol=1e-12)
    if bias:
        check(F.linear, x, w, b)
    else:
        check(lambda x, w: F.linear(x, w), x, w)


def test_dropout():
    x = t(4, 5)

    def fn(x):
        tl.manual_seed(7)
        return F.dropout(x, 0.4)

    y1, y2 = fn(x).numpy(), fn(x).numpy()
    np.testing.assert_array_equal(y1, y2)
    kept = y1 != 0
    assert 0 < kept.sum() < 20
    np.testing.assert_allclose(y1[kept], x.numpy()[kept] / 0.6, rtol=1e-12)
    check(fn, x)
    check(lambda x: fn(x) * fn(x).exp(), x)
    assert F.dropout(x, 0.4, training=False) is x
    np.testing.assert_array_equal(F.dropout(x, 1.0).numpy(), 0.0)
    big = F.dropout(Tensor(np.ones(20000)), 0.25).numpy()
    assert abs((big == 0).mean() - 0.25) < 0.02


def np_cross_entropy(z, y, weight=None, reduction="mean", eps=0.0, ignore_index=-100):
    C = z.shape[1]
    if z.ndim > 2:
        z = np.moveaxis(z, 1, -1).reshape(-1, C)
        y = y.reshape(-1)
    logp = np_log_softmax(z, 1)
    w = np.ones(C) if weight is None else weight
    valid = y != ignore_index
    ys = np.where(valid, y, 0)
    nll = -w[ys] * logp[np.arange(len(y)), ys] * valid
    smooth = -(logp * w).sum(1) / C * valid
    loss = (1 - eps) * nll + eps * smooth
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / (w[ys] * valid).sum()


CE_CASES = [dict(), dict(reduction="sum"), dict(reduction="none"), dict(label_smoothing=0.1),
            dict(label_smoothing=0.3, reduction="sum"), dict(weight=True), dict(weight=True, label_smoothing=0.2),
            dict(ignore_index=1), dict(ignore_index=1, label_smoothing=0.2, weight=True),
            dict(ignore_index=2, reduction="none", label_smoothing=0.1)]


@pytest.mark.parametrize("kw", CE_CASES, ids=str)
def test_cross_entropy_against_numpy_and_grad(kw):
    z = t(5, 3)
    y = np.array([0, 2, 1, 1, 2])
    wv = np.array([0.5, 2.0, 1.5])
    kw = dict(kw)
    if kw.pop("weight", False):
        kw["weight"] = Tensor(wv)
    npkw = {("eps" if k == "label_smoothing" else k): (wv if k == "weight" else v) for k, v in kw.items()}
    want = np_cross_entropy(z.numpy(), y, **npkw)
    got = F.cross_entropy(z, y, **kw)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    check(lambda z: F.cross_entropy(z, y, **kw), z)
    # targets as an int Tensor and as a float Tensor (lists become float32) give the same
    np.testing.assert_allclose(F.cross_entropy(z, Tensor(y), **kw).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(z, Tensor(y.tolist()), **kw).numpy(), want, rtol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(label_smoothing=0.2), dict(weight=True), dict(nll=True)], ids=str)
def test_mean_loss_with_every_target_ignored_has_zero_gradient(kw):
    """torch: the mean over no targets is 0/0 = nan, but the gradient is 0 (not nan), to every order."""
    z = t(4, 3)
    y = np.full(4, -100)
    kw = dict(kw)
    if kw.pop("weight", False):
        kw["weight"] = Tensor(np.array([0.5, 2.0, 1.5]))
    loss_fn = (lambda z: F.nll_loss(F.log_softmax(z, 1), y)) if kw.pop("nll", False) else \
        (lambda z: F.cross_entropy(z, y, **kw))
    loss = loss_fn(z)
    assert np.isnan(loss.item())
    g, = tl.grad(loss, z, create_graph=True)
    np.testing.assert_array_equal(g.numpy(), np.zeros((4, 3)))
    hv, = tl.hvp(loss_fn(z), z, Tensor(np.ones((4, 3))))
    np.testing.assert_array_equal(hv.numpy(), np.zeros((4, 3)))
    loss_fn(z).backward()
    np.testing.assert_array_equal(z.grad.numpy(), np.zeros((4, 3)))
    y2 = np.array([-100, 2, -100, 0])  # some ignored: the mean over the others, unchanged
    np.testing.assert_allclose(F.cross_entropy(z, y2).numpy(), np_cross_entropy(z.numpy(), y2), rtol=1e-12)


def test_cross_entropy_label_smoothing_is_torchs_definition():
    z = np.array([[2.0, -1.0, 0.5, 0.0]])
    logp = np_log_softmax(z, 1)[0]
    eps = 0.25
    want = (1 - eps) * -logp[3] + eps * np.mean(-logp)
    got = F.cross_entropy(Tensor(z), np.array([3]), label_smoothing=eps).item()
    assert got == pytest.approx(want, rel=1e-12)


def test_cross_entropy_spatial_input():
    z = t(2, 3, 2, 2)
    y = np.array([[[0, 1], [2, 2]], [[1, 0], [0, 2]]])
    np.testing.assert_allclose(F.cross_entropy(z, y).numpy(), np_cross_entropy(z.numpy(), y), rtol=1e-12)
    out = F.cross_entropy(z, y, reduction="none")
    assert out.shape == (2, 2, 2)
    check(lambda z: F.cross_entropy(z, y, label_smoothing=0.1), z)


@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"), dict(reduction="none"), dict(weight=True),
                                dict(ignore_index=0), dict(weight=True, ignore_index=2)], ids=str)
def test_nll_loss(kw):
    lp = t(4, 3)
    y = np.array([2, 0, 1, 2])
    wv = np.array([1.0, 3.0, 0.5])
    kw = dict(kw)
    w = wv if kw.pop("weight", False) else np.ones(3)
    if not np.all(w == 1):
        kw["weight"] = Tensor(wv)
    ign = kw.get("ignore_index", -100)
    valid = y != ign
    ys = np.where(valid, y, 0)
    per = -lp.numpy()[np.arange(4), ys] * w[ys] * valid
    want = {"none": per, "sum": per.sum()}.get(kw.get("reduction"), per.sum() / (w[ys] * valid).sum())
    np.testing.assert_allclose(F.nll_loss(lp, y, **kw).numpy(), want, rtol=1e-12)
    check(lambda lp: F.nll_loss(lp, y, **kw), lp)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(reduction):
    x, y = t(2, 3), t(2, 3)
    d = (x.numpy() - y.numpy()) ** 2
    want = {"mean": d.mean(), "sum": d.sum(), "none": d}[reduction]
    np.testing.assert_allclose(F.mse_loss(x, y, reduction).numpy(), want, rtol=1e-12)
    check(lambda x, y: F.mse_loss(x, y, reduction=reduction), x, y)


@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"), dict(reduction="none"), dict(weight=True)], ids=str)
def test_binary_cross_entropy(kw):
    p, y = t(2, 3, lo=0.05, hi=0.95), t(2, 3, lo=0.0, hi=1.0)
    kw = dict(kw)
    wv = np.array([0.5, 1.0, 2.0])
    w = wv if kw.pop("weight", False) else np.ones(3)
    if "reduction" not in kw and not np.all(w == 1):
        kw["weight"] = Tensor(wv)
    per = -(y.numpy() * np.log(p.numpy()) + (1 - y.numpy()) * np.log(1 - p.numpy())) * w
    want = {"none": per, "sum": per.sum()}.get(kw.get("reduction"), per.mean())
    np.testing.assert_allclose(F.binary_cross_entropy(p, y, **kw).numpy(), want, rtol=1e-12)
    check(lambda p, y: F.binary_cross_entropy(p, y, **kw), p, y)


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0, 1e-50]), requires_grad=True)
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    with np.errstate(divide="raise", invalid="raise"):  # no log(0), no 0/0 on the way
        loss = F.binary_cross_entropy(p, y, reduction="none")
        np.testing.assert_allclose(loss.numpy(), [100, 100, 0, 0, 100])
        g, = tl.grad(loss.sum(), p)
    # the true derivative -y/p + (1-y)/(1-p) where it is finite; 0 where the clamp holds the log at -100
    np.testing.assert_allclose(g.numpy(), [0, 0, 1, -1, 0])
    # a saturated float32 sigmoid (exactly 1.0) keeps its gradient finite
    z = Tensor(np.array([20.0, -120.0, 0.5], np.float32), requires_grad=True)
    with np.errstate(divide="raise", invalid="raise"):
        loss = F.binary_cross_entropy(z.sigmoid(), np.array([1.0, 0.0, 1.0], np.float32))
        gz, = tl.grad(loss, z)
    assert np.all(np.isfinite(gz.numpy()))


@pytest.mark.parametrize("kw", [dict(), dict(reduction="sum"), dict(reduction="none"), dict(pos_weight=True),
                                dict(pos_weight=True, weight=True)], ids=str)
def test_binary_cross_entropy_with_logits(kw):
    x, y = t(2, 3), t(2, 3, lo=0.0, hi=1.0)
    pw, wv = np.array([0.5, 2.0, 3.0]), np.array([[1.0], [0.25]])
    kw = dict(kw)
    use_pw, use_w = kw.pop("pos_weight", False), kw.pop("weight", False)
    if use_pw:
        kw["pos_weight"] = Tensor(pw)
    if use_w:
        kw["weight"] = Tensor(wv)
    s = 1 / (1 + np.exp(-x.numpy()))
    per = -((pw if use_pw else 1.0) * y.numpy() * np.log(s) + (1 - y.numpy()) * np.log(1 - s))
    per = per * (wv if use_w else 1.0)
    want = {"none": per, "sum": per.sum()}.get(kw.get("reduction"), per.mean())
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(x, y, **kw).numpy(), want, rtol=1e-10)
    check(lambda x, y: F.binary_cross_entropy_with_logits(x, y, **kw), x, y)


def test_bce_with_logits_extreme_logits_finite():
    x = Tensor(np.array([1e4, -1e4, 50.0, -50.0]), requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1e4, 1e4, np.log1p(np.exp(-50.0)), np.log1p(np.exp(-50.0))],
                               rtol=1e-12, atol=1e-15)
    g, = tl.grad(loss.sum(), x)
    np.testing.assert_allclose(g.numpy(), [1.0, -1.0, -np.exp(-50.0), np.exp(-50.0)], rtol=1e-6, atol=1e-300)


def test_embedding_repeated_indices():
    w = t(5, 3)
    idx = np.array([[1, 4, 1], [1, 0, 4]])
    out = F.embedding(idx, w)
    np.testing.assert_array_equal(out.numpy(), w.numpy()[idx])
    u = R.standard_normal((2, 3, 3))
    (out * Tensor(u)).sum().backward()
    want = np.zeros((5, 3))
    np.add.at(want, idx, u)
    np.testing.assert_allclose(w.grad.numpy(), want, rtol=1e-12)
    assert np.all(w.grad.numpy()[[2, 3]] == 0)
    check(lambda w: F.embedding(idx, w), w)
    check(lambda w: F.embedding(Tensor(idx), w).tanh(), w)


def test_embedding_padding_idx_gets_no_gradient():
    w = t(4, 2)
    idx = np.array([0, 2, 2, 3])
    out = F.embedding(idx, w, padding_idx=2)
    np.testing.assert_array_equal(out.numpy(), w.numpy()[idx])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1], [0, 0], [0, 0], [1, 1]])
    # the padding row's output still depends on w, but by definition (as torch) it passes no gradient
    idx2 = np.array([0, 3, 3, 1])
    check(lambda w: F.embedding(idx2, w, padding_idx=2) ** 2, w)


# ---- fused ops (ops/nn.py): one op each, with analytic backwards that differentiate again ------------------------
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2, 2), (3, 2, 5)])
def test_batch_norm_training_grad_gradgrad(shape):
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal(shape) * 2 + 1, requires_grad=True)
    w = Tensor(rng.standard_normal(shape[1]), requires_grad=True)
    b = Tensor(rng.standard_normal(shape[1]), requires_grad=True)
    fn = lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True) ** 2  # noqa: E731 (non-linear after BN)
    axes = (0,) + tuple(range(2, len(shape)))
    a = x.numpy()
    ref = (a - a.mean(axes, keepdims=True)) / np.sqrt(a.var(axes, keepdims=True) + 1e-5)
    cs = (1, -1) + (1,) * (len(shape) - 2)
    np.testing.assert_allclose(F.batch_norm(x, None, None, w, b, True).numpy(),
                               ref * w.numpy().reshape(cs) + b.numpy().reshape(cs), rtol=1e-10, atol=1e-12)
    check(fn, x, w, b)


def test_batch_norm_plain_and_recorded_backward_agree():
    """The plain backward reuses the forward's x̂ and 1/σ; the recorded one recomputes them from x: same values."""
    rng = np.random.default_rng(4)
    x = Tensor(rng.standard_normal((6, 3, 2, 2)), requires_grad=True)
    w, b = Tensor(rng.standard_normal(3), requires_grad=True), Tensor(rng.standard_normal(3), requires_grad=True)
    g = Tensor(rng.standard_normal((6, 3, 2, 2)))
    plain = tl.grad(F.batch_norm(x, None, None, w, b, True), [x, w, b], g)
    rec = tl.grad(F.batch_norm(x, None, None, w, b, True), [x, w, b], g, create_graph=True)
    for p, r in zip(plain, rec):
        np.testing.assert_allclose(p.numpy(), r.numpy(), rtol=1e-12, atol=1e-14)


def test_batch_norm_running_statistics_and_eval():
    rng = np.random.default_rng(5)
    a = rng.standard_normal((8, 2, 3)) * 3 + 2
    rm, rv = Tensor(np.zeros(2)), Tensor(np.ones(2))
    F.batch_norm(Tensor(a), rm, rv, training=True, momentum=0.25)
    np.testing.assert_allclose(rm.numpy(), 0.25 * a.mean((0, 2)), rtol=1e-12)
    np.testing.assert_allclose(rv.numpy(), 0.75 + 0.25 * a.var((0, 2), ddof=1), rtol=1e-12)
    x = Tensor(a, requires_grad=True)
    w, b = Tensor(np.array([2.0, -1.0]), requires_grad=True), Tensor(np.array([0.5, 0.0]), requires_grad=True)
    out = F.batch_norm(x, rm, rv, w, b, training=False)
    want = (a - rm.numpy()[None, :, None]) / np.sqrt(rv.numpy()[None, :, None] + 1e-5) * np.array([2.0, -1.0])[
        None, :, None] + np.array([0.5, 0.0])[None, :, None]
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
    check(lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False) ** 2, x, w, b)


# ---- issue 10: activations, losses, pad, one_hot, normalize, layer_norm, group_norm ---------------------------------
def test_more_activations():
    x = t(2, 3, away=0.1)
    a = x.numpy()
    cases = [(F.leaky_relu, np.where(a > 0, a, 0.01 * a)), (lambda x: F.leaky_relu(x, 0.3), np.where(a > 0, a, 0.3 * a)),
             (F.elu, np.where(a > 0, a, np.expm1(a))), (F.softplus, np.log1p(np.exp(a))),
             (F.silu, a / (1 + np.exp(-a))), (F.logsigmoid, -np.log1p(np.exp(-a))),
             (lambda x: F.gelu(x, approximate="tanh"),
              0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a ** 3))))]
    for fn, want in cases:
        np.testing.assert_allclose(fn(x).numpy(), want, rtol=1e-12)
        check(fn, x)
    big = Tensor(np.array([-800.0, 800.0]), requires_grad=True)
    np.testing.assert_allclose(F.logsigmoid(big).numpy(), [-800.0, 0.0])
    F.logsigmoid(big).sum().backward()
    np.testing.assert_allclose(big.grad.numpy(), [1.0, 0.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(reduction):
    x, y = t(3, 4), t(3, 4)
    d = x.numpy() - y.numpy()
    red = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]
    a = np.abs(d)
    for fn, want in [(F.l1_loss, a), (F.smooth_l1_loss, np.where(a < 1, 0.5 * d * d, a - 0.5)),
                     (lambda i, t_, reduction: F.smooth_l1_loss(i, t_, reduction, beta=0.5),
                      np.where(a < 0.5, d * d, a - 0.25)),
                     (F.huber_loss, np.where(a < 1, 0.5 * d * d, a - 0.5)),
                     (lambda i, t_, reduction: F.huber_loss(i, t_, reduction, delta=0.5),
                      np.where(a < 0.5, 0.5 * d * d, 0.5 * (a - 0.25)))]:
        np.testing.assert_allclose(fn(x, y, reduction=reduction).numpy(), red(want), rtol=1e-12)
        check(lambda x, y: fn(x, y, reduction=reduction), x, y)
    np.testing.assert_allclose(F.smooth_l1_loss(x, y, beta=0.0).numpy(), F.l1_loss(x, y).numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    logq = F.log_softmax(t(3, 4), 1)
    p = F.softmax(t(3, 4), 1)
    target = p.log() if log_target else p
    pt = p.numpy()
    pw = pt * (np.log(pt) - logq.numpy())
    want = {"mean": pw.mean(), "sum": pw.sum(), "none": pw, "batchmean": pw.sum() / 3}[reduction]
    np.testing.assert_allclose(F.kl_div(logq, target, reduction, log_target).numpy(), want, rtol=1e-12)
    x, y = t(3, 4), t(3, 4, lo=0.1, hi=1.0)
    check(lambda x, y: F.kl_div(x, y.log() if log_target else y, reduction, log_target), x, y)


def test_kl_div_zero_target_is_zero_not_nan():
    x = t(2, 3)
    y = Tensor(np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]), requires_grad=True)
    loss = F.kl_div(x, y, reduction="sum")
    loss.backward()
    assert np.isfinite(loss.numpy()) and np.isfinite(y.grad.numpy()[y.numpy() > 0]).all()
    np.testing.assert_allclose(loss.numpy(), sum(v * (np.log(v) - xi) for v, xi in
                                                 zip(y.numpy().ravel(), x.numpy().ravel()) if v > 0))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_modes(mode):
    x = t(2, 3, 4)
    np_mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    want = np.pad(x.numpy(), ((0, 0), (2, 1), (1, 3)), mode=np_mode)
    np.testing.assert_allclose(F.pad(x, (1, 3, 2, 1), mode=mode).numpy(), want)
    check(lambda x: F.pad(x, (1, 3, 2, 1), mode=mode), x)
    np.testing.assert_allclose(F.pad(x, (1, 1), value=2.5).numpy(), np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1)),
                                                                        constant_values=2.5))
    with pytest.raises(ValueError):
        F.pad(x, (1, 1), mode="bogus")


def test_one_hot():
    y = F.one_hot(Tensor(np.array([0, 2, 1])))
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y.numpy(), np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(Tensor(np.array([[1], [0]])), num_classes=4).shape == (2, 1, 4)
    with pytest.raises(ValueError, match="class values"):
        F.one_hot(Tensor(np.array([3])), 2)


def test_normalize():
    x = t(3, 4)
    a = x.numpy()
    np.testing.assert_allclose(F.normalize(x).numpy(), a / np.linalg.norm(a, axis=1, keepdims=True))
    np.testing.assert_allclose(F.normalize(x, p=1, dim=0).numpy(), a / np.abs(a).sum(0, keepdims=True))
    check(F.normalize, x)
    np.testing.assert_array_equal(F.normalize(Tensor(np.zeros((2, 2)))).numpy(), 0)


@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm(affine):
    x = t(2, 3, 4)
    w, b = (t(3, 4), t(3, 4)) if affine else (None, None)
    a = x.numpy()
    mu, var = a.mean((1, 2), keepdims=True), a.var((1, 2), keepdims=True)
    want = (a - mu) / np.sqrt(var + 1e-5)
    if affine:
        want = want * w.numpy() + b.numpy()
    np.testing.assert_allclose(F.layer_norm(x, (3, 4), w, b).numpy(), want, rtol=1e-10)
    np.testing.assert_allclose(F.layer_norm(x, 4).numpy(), (a - a.mean(2, keepdims=True)) /
                               np.sqrt(a.var(2, keepdims=True) + 1e-5), rtol=1e-10)
    if affine:
        check(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), x, w, b)
    else:
        check(lambda x: F.layer_norm(x, (4,)), x)
    with pytest.raises(ValueError, match="normalized_shape"):
        F.layer_norm(x, (3,))


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_norm(groups):
    x, w, b = t(2, 4, 3, 2), t(4), t(4)
    a = x.numpy().reshape(2, groups, -1)
    want = ((a - a.mean(2, keepdims=True)) / np.sqrt(a.var(2, keepdims=True) + 1e-5)).reshape(x.shape)
    want = want * w.numpy()[:, None, None] + b.numpy()[:, None, None]
    np.testing.assert_allclose(F.group_norm(x, groups, w, b).numpy(), want, rtol=1e-10)
    check(lambda x, w, b: F.group_norm(x, groups, w, b), x, w, b)
    with pytest.raises(ValueError, match="groups"):
        F.group_norm(x, 3)

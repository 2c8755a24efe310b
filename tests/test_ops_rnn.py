"""The fused LSTM ops (tinygrad_lr/ops/rnn.py): LSTMCell, its backward op LSTMCellGrad and CatMatMul.

First- and second-order checks in float64 against central differences for every op (gradgradcheck of LSTMCellGrad
is a third-order check of the cell); the plain (array) and create_graph (Tensor-op) paths of every backward and
forward-mode rule give the same values; and nn.LSTM built on these ops gives the same outputs, gradients, HVPs and
JVPs as the same LSTM written in composite Tensor ops, plus an HVP of a 2-layer bidirectional LSTM with `lengths`
against finite differences of gradients."""
import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, nn
from tinygrad_lr.gradcheck import gradcheck
from tinygrad_lr.ops.rnn import CatMatMul, LSTMCell, LSTMCellGrad, lstm_cell

from helpers import check, hvp_vs_fd, t

H = 3


def _np_cell(z, c):
    sig = lambda a: 1 / (1 + np.exp(-a))  # noqa: E731
    i, f, g, o = sig(z[:H]), sig(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), sig(z[3 * H:])
    c = f * c + i * g
    return o * np.tanh(c), c


def _composite_cell(z, c):
    """The cell in composite Tensor ops (the reference the fused op must match)."""
    i, f, g, o = z[:H].sigmoid(), z[H:2 * H].sigmoid(), z[2 * H:3 * H].tanh(), z[3 * H:].sigmoid()
    c = f * c + i * g
    return Tensor.cat([o * c.tanh(), c], 0)


@pytest.mark.parametrize("batch", [(2,), (), (2, 3)])
def test_lstm_cell_forward_matches_numpy(batch):
    z, c = t(4 * H, *batch), t(H, *batch)
    h_new, c_new = lstm_cell(z, c)
    hr, cr = _np_cell(z.numpy(), c.numpy())
    np.testing.assert_allclose(h_new.numpy(), hr, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(c_new.numpy(), cr, rtol=1e-13, atol=1e-15)
    z32, c32 = z.float(), c.float()
    assert LSTMCell.apply(z32, c32).dtype == np.float32
    np.testing.assert_allclose(LSTMCell.apply(z32, c32).numpy(), np.concatenate([hr, cr]), rtol=1e-5, atol=1e-6)


def test_lstm_cell_saturated_gates_stay_finite():
    z = Tensor(np.array([[-200.0, 200.0, 0.5]] * 4 * H).reshape(4 * H, 3), requires_grad=True)
    c = Tensor(np.ones((H, 3)), requires_grad=True)
    out = LSTMCell.apply(z, c)
    hr, cr = _np_cell(z.numpy(), c.numpy())
    np.testing.assert_allclose(out.numpy(), np.concatenate([hr, cr]), rtol=1e-13)
    gz, gc = tl.grad(out.sum(), [z, c])
    assert np.isfinite(gz.numpy()).all() and np.isfinite(gc.numpy()).all()


@pytest.mark.parametrize("batch", [(2,), (), (2, 2)])
def test_lstm_cell_grad_gradgrad(batch):
    check(lambda z, c: LSTMCell.apply(z, c), t(4 * H, *batch), t(H, *batch))


def test_lstm_cell_one_input_needs_grad():
    z, c = t(4 * H, 2), t(H, 2)
    c.requires_grad_(False)
    check(lambda z: LSTMCell.apply(z, c), z)
    check(lambda c: LSTMCell.apply(Tensor(z.numpy()), c), t(H, 2))


def test_lstm_cell_grad_op_grad_gradgrad():
    """LSTMCellGrad's backward (the cell's second derivative) and that backward's backward (third)."""
    check(lambda z, c, g: LSTMCellGrad.apply(z, c, g), t(4 * H, 2), t(H, 2), t(2 * H, 2))


def _both_paths(fn):
    """fn() under a plain backward and under create_graph; returns both results as arrays."""
    out = []
    for graph in (False, True):
        res = fn(graph)
        out.append([None if r is None else r.numpy() for r in res])
    return out


def test_plain_and_create_graph_backwards_agree():
    z, c, g = t(4 * H, 4), t(H, 4), t(2 * H, 4)
    plain, graph = _both_paths(lambda cg: tl.grad(LSTMCell.apply(z, c), [z, c], g, create_graph=cg))
    for a, b in zip(plain, graph):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    ref = tl.grad(_composite_cell(z, c), [z, c], g)
    for a, b in zip(plain, ref):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-14)
    # the second derivative: LSTMCellGrad's backward, arrays vs Tensor ops vs the composite cell's double backward
    u = t(5 * H, 4)
    plain, graph = _both_paths(lambda cg: tl.grad(LSTMCellGrad.apply(z, c, g), [z, c, g], u, create_graph=cg))
    for a, b in zip(plain, graph):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    ref_first = tl.grad(_composite_cell(z, c), [z, c], g, create_graph=True)
    ref = tl.grad(ref_first, [z, c, g], [u[:4 * H], u[4 * H:]])
    for a, b in zip(plain, ref):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("which", ["both", "z", "c"])
def test_lstm_cell_jvp_matches_central_differences(create_graph, which):
    z, c = t(4 * H, 3), t(H, 3)
    tz = Tensor(np.random.default_rng(5).standard_normal(z.shape)) if which != "c" else None
    tc = Tensor(np.random.default_rng(6).standard_normal(c.shape)) if which != "z" else None
    (d,) = tl.jvp(LSTMCell.apply(z, c), [z, c], [tz, tc], create_graph=create_graph)
    eps = 1e-6
    dz = eps * (0 if tz is None else tz.numpy())
    dc = eps * (0 if tc is None else tc.numpy())
    fd = (np.concatenate(_np_cell(z.numpy() + dz, c.numpy() + dc)) -
          np.concatenate(_np_cell(z.numpy() - dz, c.numpy() - dc))) / (2 * eps)
    np.testing.assert_allclose(d.numpy(), fd, rtol=1e-6, atol=1e-8)
    assert d.requires_grad == create_graph


def test_lstm_cell_jvp_with_create_graph_is_differentiable():
    tz, tc = t(4 * H, 2), t(H, 2)

    def tangent(z, c):
        return tl.jvp(LSTMCell.apply(z, c), [z, c], [tz, tc], create_graph=True)[0]
    assert gradcheck(tangent, [t(4 * H, 2), t(H, 2)])


def test_lstm_cell_grad_op_jvp_default_rule():
    """LSTMCellGrad keeps the double-VJP forward-mode default: check it against central differences."""
    z, c, g = t(4 * H, 2), t(H, 2), t(2 * H, 2)
    ts = [Tensor(np.random.default_rng(k).standard_normal(x.shape)) for k, x in enumerate((z, c, g))]
    (d,) = tl.jvp(LSTMCellGrad.apply(z, c, g), [z, c, g], ts)
    eps = 1e-6

    def at(s):
        with tl.no_grad():
            return LSTMCellGrad.apply(*[Tensor(x.numpy() + s * eps * u.numpy()) for x, u in zip((z, c, g), ts)]).numpy()
    np.testing.assert_allclose(d.numpy(), (at(1) - at(-1)) / (2 * eps), rtol=1e-6, atol=1e-8)


def test_lstm_cell_bad_shapes():
    with pytest.raises(ValueError, match=r"gates of shape \(8, 2\) for a cell state of shape \(3, 2\)"):
        LSTMCell.apply(Tensor(np.zeros((8, 2))), Tensor(np.zeros((3, 2))))
    with pytest.raises(ValueError, match=r"weight of shape \(4, 5\) for pieces of 6 rows"):
        CatMatMul.apply(Tensor(np.zeros((4, 5))), Tensor(np.zeros((2, 3))), Tensor(np.zeros((4, 3))))


@pytest.mark.parametrize("needs", [(True, True, True), (True, False, True), (False, True, False),
                                   (True, False, False)])
def test_cat_matmul_grad_gradgrad(needs):
    W, a, b = t(4, 6), t(2, 3), t(4, 3)
    for x, need in zip((W, a, b), needs):
        x.requires_grad_(need)
    check(lambda *xs: CatMatMul.apply(*xs), W, a, b)
    np.testing.assert_allclose(CatMatMul.apply(W, a, b).numpy(), W.numpy() @ np.concatenate([a.numpy(), b.numpy()]),
                               rtol=1e-14)


@pytest.mark.parametrize("create_graph", [False, True])
def test_cat_matmul_jvp(create_graph):
    W, a, b = t(4, 6), t(2, 3), t(4, 3)
    tW, ta = t(4, 6), t(2, 3)
    (d,) = tl.jvp(CatMatMul.apply(W, a, b), [W, a, b], [tW, ta, None], create_graph=create_graph)
    X, dX = np.concatenate([a.numpy(), b.numpy()]), np.concatenate([ta.numpy(), np.zeros((4, 3))])
    np.testing.assert_allclose(d.numpy(), tW.numpy() @ X + W.numpy() @ dX, rtol=1e-13)


# ---- nn.LSTM on the fused ops against the same LSTM in composite Tensor ops -------------------------------------
def _composite_lstm(lstm, x, lengths, hx):
    """torch's LSTM equations in composite ops, batch_first, (N, T, F) input; padding past `lengths` as nn.LSTM."""
    Hd, D = lstm.hidden_size, 2 if lstm.bidirectional else 1
    N, T = x.shape[:2]
    keep = np.arange(T)[:, None, None] < np.asarray(lengths)[None, :, None]
    seq = [x[:, t] for t in range(T)]
    hn, cn = [], []
    for k in range(lstm.num_layers):
        outs = []
        for d, sfx in enumerate(("", "_reverse")[:D]):
            W_ih, W_hh = getattr(lstm, f"weight_ih_l{k}{sfx}"), getattr(lstm, f"weight_hh_l{k}{sfx}")
            b = getattr(lstm, f"bias_ih_l{k}{sfx}") + getattr(lstm, f"bias_hh_l{k}{sfx}")
            h, c = hx[0][k * D + d], hx[1][k * D + d]
            o = [None] * T
            for t in (range(T - 1, -1, -1) if d else range(T)):
                z = seq[t] @ W_ih.T + h @ W_hh.T + b
                i, f = z[:, :Hd].sigmoid(), z[:, Hd:2 * Hd].sigmoid()
                g, og = z[:, 2 * Hd:3 * Hd].tanh(), z[:, 3 * Hd:].sigmoid()
                c_new = f * c + i * g
                h_new = og * c_new.tanh()
                h, c = Tensor.where(keep[t], h_new, h), Tensor.where(keep[t], c_new, c)
                o[t] = Tensor.where(keep[t], h_new, 0.0)
            outs.append(o)
            hn.append(h)
            cn.append(c)
        seq = [Tensor.cat([o[t] for o in outs], 1) for t in range(T)]
    return Tensor.stack(seq, 1), (Tensor.stack(hn, 0), Tensor.stack(cn, 0))


def _setup(seed=0):
    tl.manual_seed(seed)
    rng = np.random.default_rng(seed)
    N, T, Fdim, Hd = 3, 5, 2, 3
    lstm, fc = nn.LSTM(Fdim, Hd, num_layers=2, batch_first=True, bidirectional=True).double(), nn.Linear(4 * Hd, 2)
    fc = fc.double()
    x = Tensor(rng.standard_normal((N, T, Fdim)), requires_grad=True)
    h0 = Tensor(0.5 * rng.standard_normal((4, N, Hd)), requires_grad=True)
    c0 = Tensor(0.5 * rng.standard_normal((4, N, Hd)), requires_grad=True)
    lengths = np.array([5, 2, 4])
    y = np.array([0, 1, 1])

    def loss(run):
        out, (h, c) = run(x, lengths, (h0, c0))
        feats = Tensor.cat([h[-2], h[-1], c[-2], c[-1]], 1)
        return F.cross_entropy(fc(feats), y) + (out * out).sum() * 0.1
    inputs = lstm.parameters() + fc.parameters() + [x, h0, c0]
    return lstm, loss, inputs, rng


def test_lstm_matches_composite_reference_in_value_grad_hvp_and_jvp():
    lstm, loss, inputs, rng = _setup()
    fused = lambda x, lengths, hx: lstm(x, hx, lengths=lengths)  # noqa: E731
    ref = lambda x, lengths, hx: _composite_lstm(lstm, x, lengths, hx)  # noqa: E731
    np.testing.assert_allclose(loss(fused).item(), loss(ref).item(), rtol=1e-13)
    for a, b in zip(tl.grad(loss(fused), inputs), tl.grad(loss(ref), inputs)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-13)
    v = [Tensor(rng.standard_normal(p.shape)) for p in inputs]
    for a, b in zip(tl.hvp(loss(fused), inputs, v), tl.hvp(loss(ref), inputs, v)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    for cg in (False, True):
        (a,) = tl.jvp(loss(fused), inputs, v, create_graph=cg)
        (b,) = tl.jvp(loss(ref), inputs, v)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10)
    # third order: the HVP itself differentiated (create_graph=True), along w
    w = [Tensor(rng.standard_normal(p.shape)) for p in inputs]

    def third(run):
        hv = tl.hvp(loss(run), inputs, v, create_graph=True)
        return tl.grad(sum((h * u).sum() for h, u in zip(hv, w)), inputs, allow_unused=True)
    for a, b in zip(third(fused), third(ref)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-11)


def test_hvp_through_two_layer_bidirectional_lstm_with_lengths_vs_finite_differences():
    """tl.hvp against (∇L(w + εv) − ∇L(w − εv)) / 2ε, w = every parameter, the input and the initial state."""
    lstm, loss, inputs, rng = _setup(1)
    run = lambda x, lengths, hx: lstm(x, hx, lengths=lengths)  # noqa: E731
    hvp_vs_fd(inputs, lambda: loss(run), rng)


def test_lstm_float32_matches_float64():
    lstm, loss, inputs, _ = _setup(2)
    run = lambda x, lengths, hx: lstm(x, hx, lengths=lengths)  # noqa: E731
    g64 = [g.numpy() for g in tl.grad(loss(run), inputs)]
    base = [p.numpy().copy() for p in inputs]
    for p in inputs:
        p.data = p.data.astype(np.float32)
    g32 = tl.grad(loss(run), inputs)
    for p, b in zip(inputs, base):
        p.data = Tensor(b, device=p.device).data
    for a, b in zip(g32, g64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-3, atol=1e-5)

"""nn: torch's names and layouts, state_dict, BatchNorm statistics, the LSTM against a NumPy reference,
first- and second-order gradient checks of the layers, and bad input."""
import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import Tensor, nn
from tinygrad_lr.gradcheck import gradcheck, gradgradcheck


def _params64(m):
    return m.double()


def test_parameter_names_and_shapes_follow_torch():
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 4 * 4, 5))
    assert {k: v.shape for k, v in m.state_dict().items()} == {
        "0.weight": (8, 3, 3, 3), "0.bias": (8,), "1.weight": (8,), "1.bias": (8,), "1.running_mean": (8,),
        "1.running_var": (8,), "1.num_batches_tracked": (), "4.weight": (5, 128), "4.bias": (5,)}
    lstm = nn.LSTM(10, 6, num_layers=2, bidirectional=True)
    expect = {}
    for k in range(2):
        for s in ("", "_reverse"):
            n_in = 10 if k == 0 else 12
            expect.update({f"weight_ih_l{k}{s}": (24, n_in), f"weight_hh_l{k}{s}": (24, 6), f"bias_ih_l{k}{s}": (24,),
                           f"bias_hh_l{k}{s}": (24,)})
    assert {k: p.shape for k, p in lstm.named_parameters()} == expect
    assert list(lstm.state_dict())[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]


def test_default_init_bounds_and_seed():
    tl.manual_seed(1)
    a = nn.Linear(100, 50)
    tl.manual_seed(1)
    b = nn.Linear(100, 50)
    np.testing.assert_array_equal(a.weight.numpy(), b.weight.numpy())
    assert np.abs(a.weight.numpy()).max() <= 0.1 + 1e-7 and np.abs(a.weight.numpy()).max() > 0.09
    assert a.weight.requires_grad and a.weight.dtype == np.float32
    t = Tensor(np.zeros((400, 300), np.float32))
    nn.init.xavier_uniform_(t)
    assert abs(np.abs(t.numpy()).max() - np.sqrt(6 / 700)) < 1e-3
    nn.init.kaiming_normal_(t, nonlinearity="relu")
    assert abs(t.numpy().std() - np.sqrt(2 / 300)) < 2e-3


def test_state_dict_roundtrip_and_errors():
    m = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    m(Tensor(np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)))  # moves running stats
    m2 = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))
    m2.load_state_dict(m.state_dict())
    x = Tensor(np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32))
    m.eval(), m2.eval()
    np.testing.assert_array_equal(m(x).numpy(), m2(x).numpy())
    sd = m.state_dict()
    del sd["0.bias"]
    with pytest.raises(KeyError, match=r"missing keys \['0.bias'\]"):
        m2.load_state_dict(sd)
    sd = m.state_dict()
    sd["extra"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"unexpected keys \['extra'\]"):
        m2.load_state_dict(sd)
    sd = m.state_dict()
    sd["2.weight"] = np.zeros((3, 3))
    with pytest.raises(KeyError, match=r"2.weight: expected \(2, 3\), got \(3, 3\)"):
        m2.load_state_dict(sd)


def test_train_eval_propagates_and_repr():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(0.5), nn.ReLU()))
    m.eval()
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    assert "(1): Sequential(\n    (0): Dropout(p=0.5)" in repr(m)
    assert len(m) == 2 and isinstance(m[1][0], nn.Dropout)


def test_batchnorm_statistics_match_formulas():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 4, 5)) * 3 + 2
    bn = nn.BatchNorm2d(3).double()
    y = bn(Tensor(x)).numpy()
    np.testing.assert_allclose(y.mean((0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var((0, 2, 3)), 1, atol=1e-4)
    mean, var_unbiased = x.mean((0, 2, 3)), x.var((0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * var_unbiased, rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 1
    bn.eval()
    y = bn(Tensor(x)).numpy()
    ref = (x - bn.running_mean.numpy()[None, :, None, None]) / np.sqrt(bn.running_var.numpy()[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(y, ref, rtol=1e-10)


def _np_lstm(x, params, H, num_layers, bidirectional, h0, c0):
    """torch's LSTM equations, one step at a time, in NumPy; x is (T, N, F)."""
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    D = 2 if bidirectional else 1
    hn, cn, inp = [], [], x
    for k in range(num_layers):
        outs = []
        for d, sfx in enumerate(["", "_reverse"][:D]):
            Wi, Wh = params[f"weight_ih_l{k}{sfx}"], params[f"weight_hh_l{k}{sfx}"]
            b = params[f"bias_ih_l{k}{sfx}"] + params[f"bias_hh_l{k}{sfx}"]
            h, c = h0[k * D + d], c0[k * D + d]
            seq = [None] * len(inp)
            for t in (range(len(inp) - 1, -1, -1) if d else range(len(inp))):
                z = inp[t] @ Wi.T + h @ Wh.T + b
                i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
                c = f * c + i * g
                h = o * np.tanh(c)
                seq[t] = h
            outs.append(np.stack(seq))
            hn.append(h)
            cn.append(c)
        inp = np.concatenate(outs, 2)
    return inp, np.stack(hn), np.stack(cn)


@pytest.mark.parametrize("layers,bidir,batch_first", [(1, False, False), (2, True, True), (2, True, False)])
def test_lstm_matches_numpy_reference(layers, bidir, batch_first):
    rng = np.random.default_rng(0)
    T, N, F, H = 5, 3, 4, 6
    lstm = nn.LSTM(F, H, layers, batch_first=batch_first, bidirectional=bidir).double()
    D = 2 if bidir else 1
    x = rng.standard_normal((T, N, F))
    h0, c0 = rng.standard_normal((layers * D, N, H)), rng.standard_normal((layers * D, N, H))
    inp = x.transpose(1, 0, 2) if batch_first else x
    out, (h, c) = lstm(Tensor(inp), (Tensor(h0), Tensor(c0)))
    ref, hr, cr = _np_lstm(x, {k: p.numpy() for k, p in lstm.named_parameters()}, H, layers, bidir, h0, c0)
    np.testing.assert_allclose(out.numpy(), ref.transpose(1, 0, 2) if batch_first else ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), hr, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.numpy(), cr, rtol=1e-10, atol=1e-12)


def _check_layer(layer, x, second=True):
    layer = layer.double()
    ps = layer.parameters()

    def fn(xx, *qs):
        return _call_with(layer, ps, qs, xx)
    inputs = [Tensor(x, requires_grad=x.dtype.kind == "f")] + [Tensor(p.numpy(), requires_grad=True) for p in ps]
    assert gradcheck(fn, inputs)
    if second:
        assert gradgradcheck(fn, inputs)


def _call_with(layer, ps, qs, x):
    """Evaluate layer(x) with its parameters replaced by the tensors qs (so gradients flow to qs)."""
    owners = []
    for m in layer.modules():
        for k, v in list(vars(m).items()):
            for p, q in zip(ps, qs):
                if v is p:
                    owners.append((m, k, v))
                    object.__setattr__(m, k, q)
    try:
        out = layer(x)
        return out[0] if isinstance(out, tuple) else out
    finally:
        for m, k, v in owners:
            object.__setattr__(m, k, v)


def test_layer_gradchecks_first_and_second_order():
    rng = np.random.default_rng(0)
    _check_layer(nn.Linear(3, 2), rng.standard_normal((4, 3)))
    _check_layer(nn.Conv2d(2, 2, 3, stride=2, padding=1), rng.standard_normal((1, 2, 5, 5)))
    _check_layer(nn.BatchNorm1d(3), rng.standard_normal((5, 3)))
    _check_layer(nn.BatchNorm2d(2), rng.standard_normal((3, 2, 2, 2)))
    _check_layer(nn.LSTM(2, 2, num_layers=1, bidirectional=True), rng.standard_normal((3, 2, 2)))
    _check_layer(nn.Embedding(4, 3), np.array([[0, 1], [3, 1]]))


def test_bad_input():
    with pytest.raises(ValueError, match=r"Conv2d expects input \(N, 3, H, W\), got shape \(2, 4, 8, 8\)"):
        nn.Conv2d(3, 4, 3)(Tensor.zeros(2, 4, 8, 8))
    lstm = nn.LSTM(5, 4)
    with pytest.raises(ValueError, match=r"3-D input.*got shape \(7, 5\)"):
        lstm(Tensor.zeros(7, 5))
    with pytest.raises(ValueError, match=r"has 6 features \(shape \(7, 2, 6\)\) but input_size is 5"):
        lstm(Tensor.zeros(7, 2, 6))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\)"):
        nn.BatchNorm2d(3)(Tensor.zeros(2, 4, 5, 5))

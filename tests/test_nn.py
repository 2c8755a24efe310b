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
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(),
                      nn.Linear(8 * 4 * 4, 5))
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
    with pytest.raises(RuntimeError, match=r"missing keys \['0.bias'\]"):
        m2.load_state_dict(sd)
    assert m2.load_state_dict(sd, strict=False) == (["0.bias"], [])
    sd = m.state_dict()
    sd["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=r"unexpected keys \['extra'\]"):
        m2.load_state_dict(sd)
    assert m2.load_state_dict(sd, strict=False).unexpected_keys == ["extra"]
    sd = m.state_dict()
    sd["2.weight"] = np.zeros((3, 3))
    with pytest.raises(RuntimeError, match=r"2.weight: expected shape \(2, 3\), got \(3, 3\)"):
        m2.load_state_dict(sd, strict=False)  # a wrong shape is an error even when not strict


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
    rm, rv = bn.running_mean.numpy()[None, :, None, None], bn.running_var.numpy()[None, :, None, None]
    ref = (x - rm) / np.sqrt(rv + 1e-5)
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
    assert len(owners) == len(ps)  # every parameter was swapped, so the checks see all of them
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


def test_batchnorm1d_on_sequences_and_without_running_stats():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 5)) * 2 - 1
    bn = nn.BatchNorm1d(3, momentum=0.3).double()
    y = bn(Tensor(x)).numpy()
    np.testing.assert_allclose(y, (x - x.mean((0, 2), keepdims=True)) / np.sqrt(x.var((0, 2), keepdims=True) + 1e-5),
                               rtol=1e-10)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.7 + 0.3 * x.var((0, 2), ddof=1), rtol=1e-12)
    free = nn.BatchNorm1d(3, affine=False, track_running_stats=False).double().eval()
    assert free.parameters() == [] and free.buffers() == []
    np.testing.assert_allclose(free(Tensor(x)).numpy(), y, rtol=1e-10)  # no running stats: batch stats in eval too


def test_lstm_lengths_act_as_packed_sequences():
    """Past its length a sequence's state is carried through and its output is 0: h_n equals the reference run on
    the sequence cut to its length, both directions."""
    rng = np.random.default_rng(3)
    T, N, F, H = 6, 3, 2, 3
    lstm = nn.LSTM(F, H, 2, batch_first=True, bidirectional=True).double()
    x = rng.standard_normal((N, T, F))
    lengths = np.array([6, 2, 4])
    out, (h, c) = lstm(Tensor(x), lengths=lengths)
    params = {k: p.numpy() for k, p in lstm.named_parameters()}
    zeros = np.zeros((4, 1, H))
    for n, L in enumerate(lengths):
        ref, hr, cr = _np_lstm(x[n, :L, None], params, H, 2, True, zeros, zeros)
        np.testing.assert_allclose(out.numpy()[n, :L], ref[:, 0], rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(out.numpy()[n, L:], 0)
        np.testing.assert_allclose(h.numpy()[:, n], hr[:, 0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(c.numpy()[:, n], cr[:, 0], rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"lengths must be 3 integers in \[1, 6\], got \[6, 7, 1\]"):
        lstm(Tensor(x), lengths=[6, 7, 1])


def test_init_functions():
    tl.manual_seed(0)
    conv = nn.Conv2d(4, 8, 3)
    bound = 1 / np.sqrt(4 * 3 * 3)  # fan_in counts the receptive field
    assert bound * 0.9 < np.abs(conv.weight.numpy()).max() <= bound
    assert bound * 0.8 < np.abs(conv.bias.numpy()).max() <= bound
    t = Tensor(np.zeros((3, 4)))
    assert nn.init.constant_(t, 2.5) is t and (t.numpy() == 2.5).all() and t.dtype == np.float64
    nn.init.zeros_(t)
    assert (t.numpy() == 0).all()
    nn.init.ones_(t)
    assert (t.numpy() == 1).all()
    nn.init.uniform_(t, 2, 3)
    assert (t.numpy() >= 2).all() and (t.numpy() < 3).all()
    big = Tensor(np.zeros((200, 300), np.float32))
    nn.init.normal_(big, 1.0, 0.5)
    assert abs(big.numpy().mean() - 1) < 0.01 and abs(big.numpy().std() - 0.5) < 0.01
    nn.init.xavier_normal_(big)
    assert abs(big.numpy().std() - np.sqrt(2 / 500)) < 1e-3 and big.dtype == np.float32
    with pytest.raises(ValueError, match=r"at least 2 dims, got shape \(5,\)"):
        nn.init.xavier_uniform_(Tensor(np.zeros(5)))


def test_module_api():
    shared = nn.Linear(3, 3)
    m = nn.Sequential(shared, nn.ReLU(), shared)  # tied layer: one set of parameters, listed once
    assert len(m.parameters()) == 2 and len(list(m.modules())) == 3
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]  # torch lists tied tensors twice
    m.load_state_dict(m.state_dict())
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight  # a weight tied across two modules
    assert [k for k, _ in nn.Sequential(a, b).named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    m(Tensor.ones(2, 3)).sum().backward()
    assert shared.weight.grad is not None
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "Sequential"]
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Tanh()]).append(nn.Sigmoid())
    assert [k for k, _ in ml.named_children()] == ["0", "1", "2"] and isinstance(ml[-1], nn.Sigmoid)
    assert [k for k, _ in nn.Sequential(ml, nn.Linear(1, 1)).named_parameters()] == [
        "0.0.weight", "0.0.bias", "1.weight", "1.bias"]
    assert m.to("cpu") is m and m[0].weight.device == "cpu"
    assert repr(nn.Conv2d(3, 4, 3, padding=1, bias=False)) == \
        "Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"


def test_dropout_and_embedding_padding():
    x = Tensor(np.ones((100, 100), np.float32))
    d = nn.Dropout(0.25)
    y = d(x).numpy()
    assert set(np.unique(y)) == {0, np.float32(1 / 0.75)} and abs((y == 0).mean() - 0.25) < 0.02
    d.eval()
    assert d(x) is x
    emb = nn.Embedding(5, 3, padding_idx=1)
    assert (emb.weight.numpy()[1] == 0).all() and (emb.weight.numpy()[0] != 0).all()
    emb(np.array([[1, 2, 1]])).sum().backward()
    g = emb.weight.grad.numpy()
    assert (g[1] == 0).all() and (g[2] == 1).all() and (g[0] == 0).all()


@pytest.mark.cuda
def test_module_to_cuda_matches_cpu():
    tl.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(48, 2))
    x = np.random.default_rng(0).standard_normal((2, 2, 4, 4)).astype(np.float32)
    ref = m(Tensor(x)).numpy()
    m.to("cuda")
    assert all(t.device == "cuda:0" for t in m.parameters() + m.buffers())
    out = m(Tensor(x, device="cuda"))
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-4, atol=1e-5)
    assert m.state_dict()["1.running_mean"].__class__ is np.ndarray


# ---- issue 10: the modules a PyTorch user reaches for ---------------------------------------------------------------
import tinygrad_lr.functional as Fn  # noqa: E402


def _sig(z):
    return 1 / (1 + np.exp(-z))


def _np_gru_step(x, h, Wi, Wh, bi, bh):
    H = h.shape[1]
    gi, gh = x @ Wi.T + bi, h @ Wh.T + bh
    r, z = _sig(gi[:, :H] + gh[:, :H]), _sig(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    return (1 - z) * n + z * h


def _np_rnn(x, params, H, num_layers, bidirectional, h0, step):
    D = 2 if bidirectional else 1
    hn, inp = [], x
    for k in range(num_layers):
        outs = []
        for d, sfx in enumerate(["", "_reverse"][:D]):
            a = [params[f"{n}_l{k}{sfx}"] for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            h = h0[k * D + d]
            seq = [None] * len(inp)
            for t in (range(len(inp) - 1, -1, -1) if d else range(len(inp))):
                h = seq[t] = step(inp[t], h, *a)
            outs.append(np.stack(seq))
            hn.append(h)
        inp = np.concatenate(outs, 2)
    return inp, np.stack(hn)


@pytest.mark.parametrize("kind", ["gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("layers,bidir,batch_first", [(1, False, False), (2, True, True)])
def test_gru_rnn_match_numpy_reference(kind, layers, bidir, batch_first):
    rng = np.random.default_rng(1)
    T, N, F, H = 4, 3, 5, 6
    if kind == "gru":
        m, step = nn.GRU(F, H, layers, batch_first=batch_first, bidirectional=bidir), _np_gru_step
    else:
        act = np.tanh if kind == "rnn_tanh" else (lambda z: np.maximum(z, 0))
        m = nn.RNN(F, H, layers, nonlinearity=kind[4:], batch_first=batch_first, bidirectional=bidir)
        step = lambda x, h, Wi, Wh, bi, bh: act(x @ Wi.T + bi + h @ Wh.T + bh)  # noqa: E731
    m = m.double()
    D = 2 if bidir else 1
    x, h0 = rng.standard_normal((T, N, F)), rng.standard_normal((layers * D, N, H))
    out, hn = m(Tensor(x.transpose(1, 0, 2) if batch_first else x), Tensor(h0))
    ref, hr = _np_rnn(x, {k: p.numpy() for k, p in m.named_parameters()}, H, layers, bidir, h0, step)
    np.testing.assert_allclose(out.numpy(), ref.transpose(1, 0, 2) if batch_first else ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hn.numpy(), hr, rtol=1e-10, atol=1e-12)
    names = [k for k, _ in m.named_parameters()]
    assert names[:4] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert m.weight_ih_l0.shape == ((3 if kind == "gru" else 1) * H, F)
    out0, _ = m(Tensor(x.transpose(1, 0, 2) if batch_first else x))  # hx defaults to zeros
    assert out0.shape == out.shape


def test_cells_match_numpy_reference_and_unbatched_input():
    rng = np.random.default_rng(2)
    N, F, H = 3, 4, 5
    x, h, c = rng.standard_normal((N, F)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    gru = nn.GRUCell(F, H).double()
    p = [q.numpy() for q in gru.parameters()]
    np.testing.assert_allclose(gru(Tensor(x), Tensor(h)).numpy(), _np_gru_step(x, h, *p), rtol=1e-12)
    np.testing.assert_allclose(gru(Tensor(x[0]), Tensor(h[0])).numpy(), _np_gru_step(x, h, *p)[0], rtol=1e-12)
    lstm = nn.LSTMCell(F, H).double()
    Wi, Wh, bi, bh = [q.numpy() for q in lstm.parameters()]
    z = x @ Wi.T + bi + h @ Wh.T + bh
    i, f, g, o = _sig(z[:, :H]), _sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), _sig(z[:, 3 * H:])
    c2 = f * c + i * g
    h2, c2t = lstm(Tensor(x), (Tensor(h), Tensor(c)))
    np.testing.assert_allclose(c2t.numpy(), c2, rtol=1e-12)
    np.testing.assert_allclose(h2.numpy(), o * np.tanh(c2), rtol=1e-12)
    assert lstm(Tensor(x))[0].shape == (N, H) and lstm(Tensor(x[0]))[1].shape == (H,)
    rnn = nn.RNNCell(F, H, nonlinearity="relu").double()
    Wi, Wh, bi, bh = [q.numpy() for q in rnn.parameters()]
    np.testing.assert_allclose(rnn(Tensor(x), Tensor(h)).numpy(), np.maximum(x @ Wi.T + bi + h @ Wh.T + bh, 0))
    assert nn.GRUCell(F, H, bias=False).double()(Tensor(x)).shape == (N, H)


def test_new_layers_gradchecks_first_and_second_order():
    rng = np.random.default_rng(0)
    _check_layer(nn.GRU(1, 2, bidirectional=True), rng.standard_normal((2, 1, 1)))
    _check_layer(nn.GRU(1, 1, num_layers=2), rng.standard_normal((2, 1, 1)))
    _check_layer(nn.RNN(2, 2), rng.standard_normal((2, 1, 2)))
    _check_layer(nn.GRUCell(2, 2), rng.standard_normal((1, 2)))
    _check_layer(nn.LSTMCell(2, 2), rng.standard_normal((1, 2)))
    _check_layer(nn.LayerNorm(3), rng.standard_normal((2, 3)))
    _check_layer(nn.GroupNorm(2, 4), rng.standard_normal((2, 4, 2)))
    _check_layer(nn.Conv1d(2, 4, 3, padding=1, groups=2), rng.standard_normal((1, 2, 5)))
    _check_layer(nn.ConvTranspose2d(2, 2, 3, stride=2), rng.standard_normal((1, 2, 2, 2)))
    _check_layer(nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), rng.standard_normal((1, 2, 3, 3)))


def test_norm_and_conv_layers_match_functional():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 4, 6, 5)))
    ln = nn.LayerNorm((6, 5)).double()
    assert ln.weight.shape == (6, 5) and ln.bias.shape == (6, 5)
    np.testing.assert_allclose(ln(x).numpy(), Fn.layer_norm(x, (6, 5)).numpy())
    assert nn.LayerNorm(5, elementwise_affine=False).weight is None and nn.LayerNorm(5, bias=False).bias is None
    gn = nn.GroupNorm(2, 4).double()
    np.testing.assert_allclose(gn(x).numpy(), Fn.group_norm(x, 2).numpy())
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(3, 4)
    c = nn.Conv2d(4, 6, 3, groups=2, padding="same").double()
    assert c.weight.shape == (6, 2, 3, 3)
    np.testing.assert_allclose(c(x).numpy(), Fn.conv2d(x, c.weight, c.bias, padding="same", groups=2).numpy())
    c1 = nn.Conv1d(4, 2, 3, stride=2).double()
    x1 = Tensor(rng.standard_normal((2, 4, 7)))
    assert c1.weight.shape == (2, 4, 3) and c1(x1).shape == (2, 2, 3)
    ct = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2).double()
    assert ct.weight.shape == (4, 3, 3, 3) and ct(x).shape == (2, 6, 12, 10)
    cr = nn.Conv2d(4, 2, 3, padding=1, padding_mode="circular").double()
    np.testing.assert_allclose(cr(x).numpy(), Fn.conv2d(Fn.pad(x, (1, 1, 1, 1), mode="circular"), cr.weight,
                                                         cr.bias).numpy())
    assert nn.AdaptiveAvgPool2d((2, 3))(x).shape == (2, 4, 2, 3)
    mp = nn.MaxPool2d(2, ceil_mode=True, return_indices=True)
    out, idx = mp(x)
    assert out.shape == idx.shape == (2, 4, 3, 3)


def test_activation_and_loss_modules():
    x, y = Tensor(np.array([[-1.0, 0.5, 2.0], [0.3, -0.2, 0.1]])), Tensor(np.array([[0.0, 1.0, 1.0], [0.5, 0.5, 0.0]]))
    assert isinstance(nn.Identity(3, foo=1)(x), Tensor) and nn.Identity()(x) is x
    for mod, fn in [(nn.LeakyReLU(0.2), lambda v: Fn.leaky_relu(v, 0.2)), (nn.GELU(), Fn.gelu),
                    (nn.GELU(approximate="tanh"), lambda v: Fn.gelu(v, "tanh")), (nn.SiLU(), Fn.silu),
                    (nn.ELU(alpha=0.5), lambda v: Fn.elu(v, 0.5)), (nn.Softplus(beta=2), lambda v: Fn.softplus(v, 2)),
                    (nn.LogSigmoid(), Fn.logsigmoid), (nn.Softmax(dim=1), lambda v: Fn.softmax(v, 1)),
                    (nn.Softmax(dim=0), lambda v: Fn.softmax(v, 0)), (nn.LogSoftmax(1), lambda v: Fn.log_softmax(v, 1)),
                    (nn.Softmax(), lambda v: Fn.softmax(v, 1))]:
        np.testing.assert_array_equal(mod(x).numpy(), fn(x).numpy())
    assert repr(nn.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    target = Tensor(np.array([2, 0]))
    np.testing.assert_array_equal(nn.CrossEntropyLoss()(x, target).numpy(), Fn.cross_entropy(x, target).numpy())
    np.testing.assert_array_equal(nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1)(x, target).numpy(),
                                  Fn.cross_entropy(x, target, reduction="sum", label_smoothing=0.1).numpy())
    np.testing.assert_array_equal(nn.NLLLoss()(Fn.log_softmax(x, 1), target).numpy(),
                                  Fn.cross_entropy(x, target).numpy())
    for mod, fn in [(nn.MSELoss(), Fn.mse_loss), (nn.L1Loss(reduction="sum"), lambda a, b: Fn.l1_loss(a, b, "sum")),
                    (nn.SmoothL1Loss(beta=0.5), lambda a, b: Fn.smooth_l1_loss(a, b, beta=0.5)),
                    (nn.HuberLoss(delta=0.5), lambda a, b: Fn.huber_loss(a, b, delta=0.5)),
                    (nn.BCEWithLogitsLoss(), Fn.binary_cross_entropy_with_logits),
                    (nn.BCELoss(), lambda a, b: Fn.binary_cross_entropy(a.sigmoid(), b)),
                    (nn.KLDivLoss(reduction="batchmean"), lambda a, b: Fn.kl_div(a, b, "batchmean"))]:
        a = x.sigmoid() if isinstance(mod, nn.BCELoss) else x
        np.testing.assert_array_equal(mod(a, y).numpy(), fn(x, y).numpy())
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_module_dict_and_parameter_list():
    d = nn.ModuleDict({"enc": nn.Linear(3, 2), "dec": nn.Linear(2, 3)})
    d["act"] = nn.ReLU()
    assert d.keys() == ["enc", "dec", "act"] and len(d) == 3 and "enc" in d and "x" not in d
    assert [k for k, _ in d.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert isinstance(d["dec"], nn.Linear) and [k for k, _ in d.items()] == list(d)
    with pytest.raises(KeyError):
        d["forward"] = nn.ReLU()
    with pytest.raises(KeyError):
        d["missing"]
    assert isinstance(d.pop("act"), nn.ReLU) and len(d) == 2
    sd = d.state_dict()
    d2 = nn.ModuleDict({"enc": nn.Linear(3, 2), "dec": nn.Linear(2, 3)})
    d2.load_state_dict(sd)
    np.testing.assert_array_equal(d2["enc"].weight.numpy(), d["enc"].weight.numpy())

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([np.ones((2, 2), np.float32), Tensor(np.zeros(3, np.float32))])

        def forward(self, x):
            return x @ self.ws[0] + self.ws[1].sum()
    m = M()
    m.ws.append(nn.Parameter(np.ones(1, np.float32)))
    assert len(m.ws) == 3 and [k for k, _ in m.named_parameters()] == ["ws.0", "ws.1", "ws.2"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in m.ws)
    m(Tensor(np.ones((1, 2), np.float32))).sum().backward()
    np.testing.assert_array_equal(m.ws[0].grad.numpy(), 1)
    m.ws[1] = np.full(3, 2.0, np.float32)
    assert m.ws[1].numpy().tolist() == [2, 2, 2] and len(m.ws) == 3


def test_batchnorm_momentum_none_is_the_cumulative_average():
    rng = np.random.default_rng(0)
    bn = nn.BatchNorm1d(3, momentum=None).double()
    xs = [rng.standard_normal((8, 3)) * (k + 1) + k for k in range(4)]
    for x in xs:
        bn(Tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean([x.mean(0) for x in xs], 0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean([x.var(0, ddof=1) for x in xs], 0), rtol=1e-12)
    assert int(bn.num_batches_tracked.item()) == 4


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_inter_layer_dropout(kind):
    cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
    x = Tensor(np.random.default_rng(0).standard_normal((5, 4, 3)))
    tl.manual_seed(0)
    m = cls(3, 8, num_layers=2, dropout=0.5).double()
    m1 = cls(3, 8, num_layers=2).double()
    m1.load_state_dict(m.state_dict())
    a, b = m(x)[0].numpy(), m1(x)[0].numpy()
    assert not np.allclose(a, b)  # training: the first layer's outputs were dropped
    tl.manual_seed(5)
    a1 = m(x)[0].numpy()
    tl.manual_seed(5)
    np.testing.assert_array_equal(m(x)[0].numpy(), a1)  # the mask follows the seed
    m.eval()
    np.testing.assert_allclose(m(x)[0].numpy(), b, rtol=1e-12)  # eval: no dropout
    one = cls(3, 8, num_layers=1, dropout=0.5).double()
    one1 = cls(3, 8).double()
    one1.load_state_dict(one.state_dict())
    np.testing.assert_allclose(one(x)[0].numpy(), one1(x)[0].numpy())  # nothing between layers: no dropout
    with pytest.raises(ValueError, match="dropout"):
        cls(3, 8, dropout=1.5)

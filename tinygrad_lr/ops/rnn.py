"""The LSTM cell as one op and its backward as one op (Chainer's LSTM / LSTMGrad pattern), and CatMatMul, the
per-step GEMM W @ [x_t; h_{t-1}; 1]. nn.LSTM is built from these two.

Features come first and the batch last ("features x batch"): every gate is then a contiguous block of rows, and
every array call below runs on contiguous memory (on (N, 4H) row-major arrays the gate blocks are strided, and
NumPy's elementwise calls on them were 3-4x slower).

    z = [z_i; z_f; z_g; z_o]  (4H, ...), torch's gate order;  c_prev (H, ...)
    i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)
    c = f ⊙ c_prev + i ⊙ g,   h = o ⊙ tanh(c)

`LSTMCell(z, c_prev)` returns [h; c] stacked, (2H, ...) (a Function has one output; `lstm_cell` slices it, and
a plain backward adds the slices' gradients in place). Its forward is a handful of whole-array calls: one tanh for
all four gates (σ(x) = ½·tanh(x/2) + ½), the cell update written into the output.

Backward, with dct = g_c + g_h ⊙ o ⊙ (1 - tanh²c), the gradient reaching c:

    dz_i = dct ⊙ g ⊙ i(1-i)    dz_f = dct ⊙ c_prev ⊙ f(1-f)    dz_g = dct ⊙ i ⊙ (1-g²)
    dz_o = g_h ⊙ tanh c ⊙ o(1-o)                              dc_prev = dct ⊙ f

A plain backward (create_graph=False) computes this on arrays directly (about twenty calls on (H, N) blocks).
Under create_graph it is `LSTMCellGrad(z, c_prev, [g_h; g_c])`: the same array code as a forward, returning
[dz; dc_prev] (5H, ...), so the recorded gradient graph has one node per step; LSTMCellGrad's own backward (the
second derivative, `_second_order`, every term of it below) is again fused array code in a plain backward and
composite Tensor ops (recomputing the gates from z) under create_graph, so third and higher derivatives are exact
too. The one formula serves both: it is written with + - * only, which NumPy/CuPy arrays and Tensors share.

Forward mode: LSTMCell's jvp rule is the cell's JVP (`_tangent`, on arrays or, under create_graph, in Tensor ops);
LSTMCellGrad keeps the double-VJP default (forward mode through a gradient graph only).

What this buys (benchmarks/lstm.py: the row-MNIST LSTM, hidden 128, 28 steps, batch 128, float32, 2 threads on the
project's 2-core machine, 5 interleaved rounds, medians): gradient 40.3 -> 19.7 ms and HVP 141.6 -> 70.6 ms against
the LSTM written in composite ops; PyTorch 2.13 CPU in the same run took 14.3 and 90.5 ms.

Everything is elementwise per hidden unit: unit j of sample n depends only on the five numbers z_i, z_f, z_g, z_o,
c_prev at (j, n), so every Jacobian here is block diagonal and every rule a few elementwise products.
"""
from ..autograd import Function, is_grad_enabled
from ..backend import xp
from ..tensor import Tensor
from .movement import Getitem


def _activations(z, device):
    """[i; f; g; o] of z as one (4H, ...) array: one tanh over all four gates, σ(x) = ½·tanh(x/2) + ½."""
    m = xp(device)
    H = z.shape[0] // 4
    act = m.empty_like(z)
    m.multiply(z[:2 * H], 0.5, out=act[:2 * H])
    act[2 * H:3 * H] = z[2 * H:3 * H]
    m.multiply(z[3 * H:], 0.5, out=act[3 * H:])
    m.tanh(act, out=act)
    for s in (act[:2 * H], act[3 * H:]):
        s *= 0.5
        s += 0.5
    return act


def _cell_grad(act, tc, c_prev, g, device, dz=None, dc=None):
    """First-order backward on arrays: (dz (4H, ...), dc_prev (H, ...)) from the gates `act`, tanh(c) `tc`, c_prev
    and g = [g_h; g_c]; written into dz / dc when given."""
    m = xp(device)
    H = c_prev.shape[0]
    i, f, gg, o = act[:H], act[H:2 * H], act[2 * H:3 * H], act[3 * H:]
    gh, gc = g[:H], g[H:]
    dct = m.multiply(tc, tc)                 # dct = gc + gh·o·(1 - tc²)
    m.subtract(1, dct, out=dct)
    dct *= o
    dct *= gh
    dct += gc
    if dz is None:
        dz = m.empty_like(act)
    d = m.subtract(1, act)                   # the activations' derivatives: σ(1-σ), 1 - g²
    d[:2 * H] *= act[:2 * H]
    d[3 * H:] *= act[3 * H:]
    m.multiply(gg, gg, out=d[2 * H:3 * H])
    m.subtract(1, d[2 * H:3 * H], out=d[2 * H:3 * H])
    m.multiply(dct, gg, out=dz[:H])          # times each gate's outer factor
    m.multiply(dct, c_prev, out=dz[H:2 * H])
    m.multiply(dct, i, out=dz[2 * H:3 * H])
    m.multiply(gh, tc, out=dz[3 * H:])
    dz *= d
    dc = m.multiply(dct, f, out=dc)
    return dz, dc


def _gates_of(z, c_prev):
    """The cell's intermediate values as Tensors, recomputed from z and c_prev with composite ops (so that what
    is built from them is differentiable again)."""
    H = c_prev.shape[0]
    i, f = z[:H].sigmoid(), z[H:2 * H].sigmoid()
    g, o = z[2 * H:3 * H].tanh(), z[3 * H:].sigmoid()
    return i, f, g, o, (f * c_prev + i * g).tanh()


def _split(a, H, k):
    return [a[j * H:(j + 1) * H] for j in range(k)]


def _tangent(i, f, g, o, tc, cp, ti, tf, tg, to, tcp):
    """(dh, dc): the cell's JVP for tangents of z's four blocks and of c_prev (ti, tf, tg, to all None, or tcp None,
    for a zero tangent). Arrays or Tensors alike."""
    dc = None
    if ti is not None:
        dc = ti * (g * (i * (1 - i))) + tf * (cp * (f * (1 - f))) + tg * (i * (1 - g * g))
    if tcp is not None:
        dc = tcp * f if dc is None else dc + tcp * f
    dh = dc * (o * (1 - tc * tc))
    if to is not None:
        dh = dh + to * (tc * (o * (1 - o)))
    return dh, dc


def _second_order(i, f, g, o, tc, cp, gh, gc, ui, uf, ug, uo, ucp):
    """The backward of LSTMCellGrad: for S = <u, (dz, dc_prev)> with (dz, dc_prev) the cell's backward of
    (g_h, g_c), the gradients dS/dz (four blocks), dS/dc_prev, dS/dg_h, dS/dg_c. Arrays or Tensors alike.

    With i' = i(1-i), f' = f(1-f), g' = 1-g², o' = o(1-o), tc' = 1-tanh²c and dct = g_c + g_h·o·tc':
      S = dct·A + u_o·g_h·tc·o',  A = u_i·g·i' + u_f·c_prev·f' + u_g·i·g' + u_c·f   (A = the cell's dc along u)
      B = dS/dc = g_h·tc'·(u_o·o' - 2·A·o·tc)
      dS/dz_i = i'·(B·g + dct·(u_i·g·(1-2i) + u_g·g'))     dS/dz_f = f'·(B·c_prev + dct·(u_f·c_prev·(1-2f) + u_c))
      dS/dz_g = g'·(B·i + dct·(u_i·i' - 2·u_g·i·g))        dS/dz_o = o'·g_h·(A·tc' + u_o·tc·(1-2o))
      dS/dc_prev = B·f + dct·u_f·f'                        dS/dg_h = A·o·tc' + u_o·tc·o',  dS/dg_c = A
    (the last two are the cell's JVP along u: LSTMCellGrad is linear in g)."""
    di, df, dg, do, dtc = i * (1 - i), f * (1 - f), 1 - g * g, o * (1 - o), 1 - tc * tc
    A = ui * (g * di) + uf * (cp * df) + ug * (i * dg) + ucp * f
    odtc = o * dtc
    dct = gc + gh * odtc
    B = gh * dtc * (uo * do - 2 * (A * o) * tc)
    dzi = di * (B * g + dct * (ui * g * (1 - 2 * i) + ug * dg))
    dzf = df * (B * cp + dct * (uf * cp * (1 - 2 * f) + ucp))
    dzg = dg * (B * i + dct * (ui * di - 2 * ug * i * g))
    dzo = do * gh * (A * dtc + uo * tc * (1 - 2 * o))
    dcp = B * f + dct * uf * df
    dgh = A * odtc + uo * tc * do
    return (dzi, dzf, dzg, dzo), dcp, (dgh, A)


class LSTMCell(Function):
    """[h; c] (2H, ...) of one LSTM step from the gate pre-activations z (4H, ...) and c_prev (H, ...); see the
    module docstring for the function, its derivative and how each is computed."""

    def forward(self, z, c_prev):
        m = xp(self.device)
        H = c_prev.shape[0]
        if z.shape != (4 * H,) + c_prev.shape[1:]:
            raise ValueError(f"LSTMCell: gates of shape {z.shape} for a cell state of shape {c_prev.shape}: "
                             f"expected ({4 * H}, ...) against ({H}, ...)")
        act = _activations(z, self.device)
        out = m.empty((2 * H,) + c_prev.shape[1:], dtype=act.dtype)
        c = out[H:]
        m.multiply(act[H:2 * H], c_prev, out=c)
        c += act[:H] * act[2 * H:3 * H]
        tc = m.tanh(c)
        m.multiply(act[3 * H:], tc, out=out[:H])
        self.act, self.tc = act, tc
        return out

    def backward(self, g, out, needs):
        z, c_prev = self.parents
        if not is_grad_enabled():  # a plain backward: fused array code, nothing recorded
            dz, dc = _cell_grad(self.act, self.tc, c_prev.data, g.data, self.device)
            return Tensor.wrap(dz, self.device), Tensor.wrap(dc, self.device)
        H4 = z.shape[0]
        both = LSTMCellGrad.apply(z, c_prev, g, saved=(self.act, self.tc))
        return (both[:H4] if needs[0] else None), (both[H4:] if needs[1] else None)

    def jvp(self, tangents, out):
        (tz, tcp), (z, c_prev) = tangents, self.parents
        H = c_prev.shape[0]
        if is_grad_enabled():  # the tangent must be differentiable: composite ops from the parents
            vals, cp, cat = _gates_of(z, c_prev), c_prev, lambda a, b: Tensor.cat([a, b], 0)
            tz = [None] * 4 if tz is None else _split(tz, H, 4)
        else:
            vals, cp = _split(self.act, H, 4) + [self.tc], c_prev.data
            cat = lambda a, b: Tensor.wrap(xp(self.device).concatenate([a, b], 0), self.device)  # noqa: E731
            tz = [None] * 4 if tz is None else _split(tz.data, H, 4)
            tcp = None if tcp is None else tcp.data
        return cat(*_tangent(*vals, cp, *tz, tcp))


class LSTMCellGrad(Function):
    """[dz; dc_prev] (5H, ...) = LSTMCell's backward of g = [g_h; g_c] (2H, ...) at (z, c_prev): linear in g; its
    derivative is `_second_order`. `saved` = (gates, tanh c) from the LSTMCell forward at the same point (else
    recomputed)."""

    def forward(self, z, c_prev, g, saved=None):
        m = xp(self.device)
        H = c_prev.shape[0]
        if saved is None:
            act = _activations(z, self.device)
            saved = act, m.tanh(act[H:2 * H] * c_prev + act[:H] * act[2 * H:3 * H])
        self.act, self.tc = saved
        out = m.empty((5 * H,) + c_prev.shape[1:], dtype=self.act.dtype)
        _cell_grad(self.act, self.tc, c_prev, g, self.device, out[:4 * H], out[4 * H:])
        return out

    def backward(self, u, out, needs):
        z, c_prev, g = self.parents
        H = c_prev.shape[0]
        if not is_grad_enabled():  # a plain backward: the same formula on arrays
            m = xp(self.device)
            vals, cp, gd, ud = _split(self.act, H, 4) + [self.tc], c_prev.data, g.data, u.data
            dz, dc, dg = _second_order(*vals, cp, gd[:H], gd[H:], *_split(ud, H, 5))
            wrap = lambda a: Tensor.wrap(a, self.device)  # noqa: E731
            return (wrap(m.concatenate(dz, 0)) if needs[0] else None, wrap(dc) if needs[1] else None,
                    wrap(m.concatenate(dg, 0)) if needs[2] else None)
        dz, dc, dg = _second_order(*_gates_of(z, c_prev), c_prev, g[:H], g[H:], *_split(u, H, 5))
        return (Tensor.cat(list(dz), 0) if needs[0] else None, dc if needs[1] else None,
                Tensor.cat(list(dg), 0) if needs[2] else None)


class CatMatMul(Function):
    """W @ [x_1; x_2; ...] (the pieces concatenated along their first dim): one LSTM step's gates from its input
    pieces, h_{t-1} and a row of ones, in one GEMM.  d/dW = g @ Xᵀ, d/dx_k = W[:, rows_k]ᵀ @ g (bilinear).

    What it saves over cat + matmul: the gradient GEMM Wᵀ @ g runs over the rows of the pieces that need a gradient
    only (not over the input's rows when the input is data, nor the ones), and a plain backward is two GEMMs on
    arrays with no other op."""

    def forward(self, W, *pieces):
        m = xp(self.device)
        self.X = m.concatenate(pieces, 0)
        if W.shape[1] != self.X.shape[0]:
            raise ValueError(f"CatMatMul: weight of shape {W.shape} for pieces of {self.X.shape[0]} rows in all")
        ends = [0]
        for p in pieces:
            ends.append(ends[-1] + p.shape[0])
        self.rows = list(zip(ends[:-1], ends[1:]))
        return W @ self.X

    def backward(self, g, out, needs):
        W, pieces = self.parents[0], self.parents[1:]
        wanted = [k for k, need in enumerate(needs[1:]) if need]
        if not is_grad_enabled():  # a plain backward: GEMMs on arrays
            wrap = lambda a: Tensor.wrap(a, self.device)  # noqa: E731
            gW = wrap(g.data @ self.X.T) if needs[0] else None
            gx = [None] * len(pieces)
            if wanted:  # one GEMM over the rows from the first to the last piece that needs a gradient
                lo, hi = self.rows[wanted[0]][0], self.rows[wanted[-1]][1]
                gX = W.data[:, lo:hi].T @ g.data
                for k in wanted:
                    gx[k] = wrap(gX[self.rows[k][0] - lo:self.rows[k][1] - lo])
            return (gW, *gx)
        gW = g @ Tensor.cat(list(pieces), 0).T if needs[0] else None
        gx = [None] * len(pieces)
        if wanted:
            lo, hi = self.rows[wanted[0]][0], self.rows[wanted[-1]][1]
            gX = W[:, lo:hi].T @ g
            for k in wanted:
                gx[k] = gX[self.rows[k][0] - lo:self.rows[k][1] - lo]
        return (gW, *gx)

    def jvp(self, tangents, out):
        tW, tx = tangents[0], tangents[1:]
        W, pieces = self.parents[0], self.parents[1:]
        d = None if tW is None else CatMatMul.apply(tW, *pieces)
        if any(t is not None for t in tx):
            dx = CatMatMul.apply(W, *[Tensor.zeros_like(p) if t is None else t for p, t in zip(pieces, tx)])
            d = dx if d is None else d + dx
        return d


def lstm_cell(z, c_prev):
    """One LSTM step, features first: (h, c), each (H, ...), from the gate pre-activations z (4H, ...: i, f, g, o)
    and the cell state c_prev (H, ...)."""
    H = c_prev.shape[0]
    hc = LSTMCell.apply(z, c_prev)
    return rows(hc, 0, H), rows(hc, H, 2 * H)


def rows(x, lo, hi):
    """x[lo:hi] (the Getitem op without the index normalisation of x[...], which costs as much as the op here)."""
    return Getitem.apply(x, index=(slice(lo, hi),))

"""LSTM with torch's parameter layout: fused gates (i, f, g, o) in weight_ih_l{k} (4H, in), weight_hh_l{k}
(4H, H) and two biases, suffix _reverse for the backward direction.

    i, f, g, o = σ(·), σ(·), tanh(·), σ(·)  of  x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh
    c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

Inside, features come first and the batch last (h, c are (H, N)), so that every gate is a contiguous block of rows.
Each step is one GEMM, [W_ih, W_hh, b_ih + b_hh] @ [x_t; h_{t-1}; 1] (ops/rnn.py: CatMatMul), and one fused cell
op (ops/rnn.py: LSTMCell, whose backward is the op LSTMCellGrad, whose backward is differentiable again), so
gradients, HVPs and forward-mode tangents flow through time like through any other graph, at a few array calls per
step. The outputs are returned in torch's layout (as transposed views).

dropout: applied to the outputs of every layer but the last, in training, as torch.

forward(input, hx=None, lengths=None): `lengths` (one per sequence, padding at the end) plays the part of torch's
PackedSequence: past its end a sequence's state is carried through unchanged and its output is 0, so h_n, c_n are
the states at each sequence's last real step and the reverse direction starts there.
"""
import math

import numpy as np

from .. import functional as F
from ..backend import to_host, xp
from ..ops.movement import Getitem
from ..ops.rnn import CatMatMul, lstm_cell
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


class LSTM(Module):
    """A multi-layer LSTM with torch's parameter layout (see the module docstring for the equations and how it is
    computed). forward(input, hx=None, lengths=None) -> (output, (h_n, c_n)): input (T, N, F) or batch_first
    (N, T, F), hx = (h_0, c_0) each (layers·directions, N, H) (None: zeros), lengths the real length of each
    sequence (padding at the end, as a PackedSequence).

    Args:
        input_size: the number of input features F.
        hidden_size: the size H of the hidden state.
        num_layers: stacked layers, each reading the previous one's outputs.
        bias: learn the biases b_ih and b_hh.
        batch_first: input and output are (N, T, ·) instead of (T, N, ·) (hx stays (layers·directions, N, H)).
        dropout: dropout probability on the outputs of every layer but the last, in training.
        bidirectional: a second direction per layer, run backwards (outputs concatenated: 2H features).

    Every weight and bias starts ~ U(-1/√H, 1/√H), as torch."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False):
        super().__init__()
        if not 0 <= dropout <= 1:
            raise ValueError(f"LSTM: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.bidirectional, self.dropout = bias, batch_first, bidirectional, dropout
        D, H = 2 if bidirectional else 1, hidden_size
        bound = 1 / math.sqrt(H)
        for k in range(num_layers):
            for sfx in ("", "_reverse")[:D]:
                n_in = input_size if k == 0 else H * D
                shapes = [(f"weight_ih_l{k}{sfx}", (4 * H, n_in)), (f"weight_hh_l{k}{sfx}", (4 * H, H))]
                if bias:
                    shapes += [(f"bias_ih_l{k}{sfx}", (4 * H,)), (f"bias_hh_l{k}{sfx}", (4 * H,))]
                for name, shape in shapes:
                    p = Parameter(np.zeros(shape, np.float32))
                    init.uniform_(p, -bound, bound)
                    setattr(self, name, p)

    def _cell_loop(self, xs, h, c, k, sfx, reverse, keep):
        """One layer, one direction over the whole sequence, features x batch: xs[t] is a list of (·, N) pieces that
        together make step t's input, h and c are (H, N); keep[t] is True when every sequence is still running at
        step t, else a (1, N) mask of those that are (keep None: all of them, always).

        Each step is one GEMM, [W_ih, W_hh, b_ih + b_hh] @ [x_t; h_{t-1}; 1] (the input projection and both
        biases folded in), then one LSTMCell op. Per-step GEMMs rather than one GEMM over all steps, because then
        no (T, 4H, N) tensor is sliced T times: under create_graph each slice's gradient would be a dense array of
        the whole (quadratic in T), and the HVP pays for them twice."""
        H = self.hidden_size
        T, N = len(xs), h.shape[1]
        w = [getattr(self, f"weight_ih_l{k}{sfx}"), getattr(self, f"weight_hh_l{k}{sfx}")]
        ones = []
        if self.bias:
            b = getattr(self, f"bias_ih_l{k}{sfx}") + getattr(self, f"bias_hh_l{k}{sfx}")
            w.append(b.reshape(4 * H, 1))
            ones = [Tensor.ones((1, N), device=h.device, dtype=h.dtype)]
        W = Tensor.cat(w, 1)  # (4H, F + H + 1)
        outs = [None] * T
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            z = CatMatMul.apply(W, *xs[t], h, *ones)
            h_new, c_new = lstm_cell(z, c)
            if keep is None or keep[t] is True:
                h, c, outs[t] = h_new, c_new, h_new
            else:
                h, c = Tensor.where(keep[t], h_new, h), Tensor.where(keep[t], c_new, c)
                outs[t] = Tensor.where(keep[t], h_new, 0.0)
        return outs, h, c

    def _keep_mask(self, lengths, T, N, device):
        """Per step t: True when every sequence is still running, else a (1, N) bool mask of those that are;
        None when every sequence is full length."""
        lengths = lengths.data if isinstance(lengths, Tensor) else lengths
        on_gpu = hasattr(lengths, "__cuda_array_interface__")
        lengths = (to_host(lengths) if on_gpu else np.asarray(lengths)).reshape(-1)
        if lengths.shape != (N,) or lengths.dtype.kind not in "iu" or lengths.min() < 1 or lengths.max() > T:
            raise ValueError(f"LSTM lengths must be {N} integers in [1, {T}], got {lengths.tolist()}")
        if (lengths == T).all():
            return None
        mask = np.arange(T)[:, None, None] < lengths[None, None, :]
        return [True if mask[t].all() else xp(device).asarray(mask[t]) for t in range(T)]

    def forward(self, input, hx=None, lengths=None):
        if input.ndim != 3:
            raise ValueError(f"LSTM expects a 3-D input ({'batch, seq' if self.batch_first else 'seq, batch'}, "
                             f"features), got shape {input.shape}")
        if input.shape[2] != self.input_size:
            raise ValueError(f"LSTM input has {input.shape[2]} features (shape {input.shape}) but input_size is "
                             f"{self.input_size}")
        T, N = input.shape[:2][::-1] if self.batch_first else input.shape[:2]
        D, H = 2 if self.bidirectional else 1, self.hidden_size
        if hx is not None:
            for name, t in zip(("h0", "c0"), hx):
                if t.shape != (self.num_layers * D, N, H):
                    raise ValueError(f"LSTM {name} must have shape {(self.num_layers * D, N, H)}, got {t.shape}")
        keep = None if lengths is None else self._keep_mask(lengths, T, N, input.device)
        # features x batch inside (see _cell_loop); step t's input is a list of pieces, and between layers the
        # per-step outputs are passed on as they are (no stacking and slicing again)
        x = input.permute(1, 2, 0) if self.batch_first else input.permute(0, 2, 1)  # (T, F, N)
        xs = [[Getitem.apply(x, index=(t,))] for t in range(T)]
        zeros = Tensor.zeros((H, N), device=input.device, dtype=input.dtype)
        hn, cn = [], []
        for k in range(self.num_layers):
            outs = []
            for d, sfx in enumerate(("", "_reverse")[:D]):
                j = k * D + d
                h, c = (zeros, zeros) if hx is None else (hx[0][j].T, hx[1][j].T)
                seq, h, c = self._cell_loop(xs, h, c, k, sfx, d == 1, keep)
                outs.append(seq)
                hn.append(h)
                cn.append(c)
            xs = [[o[t] for o in outs] for t in range(T)]
            if self.dropout and self.training and k < self.num_layers - 1:  # between layers, as torch
                xs = [[F.dropout(piece, self.dropout) for piece in step] for step in xs]
                outs = [[step[d] for step in xs] for d in range(D)]
        out = Tensor.cat([Tensor.stack(o, 0) for o in outs], 1) if D == 2 else Tensor.stack(outs[0], 0)  # (T, DH, N)
        out = out.permute(2, 0, 1) if self.batch_first else out.permute(0, 2, 1)
        return out, (Tensor.stack(hn, 0).permute(0, 2, 1), Tensor.stack(cn, 0).permute(0, 2, 1))

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        return s + (", batch_first=True" if self.batch_first else "") + (", bidirectional=True" if self.bidirectional
                                                                       else "")



# ---- the cells, and RNN / GRU: composed of Tensor ops (batch first inside, as the cells' inputs) -----------------------
def _rnn_params(m, gates, input_size, hidden_size, bias, sfx=""):
    """torch's layout and initialisation U(-1/√H, 1/√H): weight_ih (gates·H, in), weight_hh (gates·H, H), biases."""
    bound = 1 / math.sqrt(hidden_size)
    shapes = [(f"weight_ih{sfx}", (gates * hidden_size, input_size)), (f"weight_hh{sfx}", (gates * hidden_size,
                                                                                          hidden_size))]
    if bias:
        shapes += [(f"bias_ih{sfx}", (gates * hidden_size,)), (f"bias_hh{sfx}", (gates * hidden_size,))]
    for name, shape in shapes:
        p = Parameter(np.zeros(shape, np.float32))
        init.uniform_(p, -bound, bound)
        setattr(m, name, p)


def _affine(x, w, b):
    y = x @ w.T
    return y if b is None else y + b


def rnn_step(x, h, w_ih, w_hh, b_ih, b_hh, nonlinearity="tanh"):
    """h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh), act tanh or relu."""
    z = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)
    return z.tanh() if nonlinearity == "tanh" else z.relu()


def lstm_step(x, hc, w_ih, w_hh, b_ih, b_hh):
    """i, f, g, o = σ, σ, tanh, σ of x W_ihᵀ + b_ih + h W_hhᵀ + b_hh (torch's gate order); c' = f c + i g,
    h' = o tanh(c')."""
    h, c = hc
    i, f, g, o = (_affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)).chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c.tanh(), c


def gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """r, z = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr), σ(... z ...); n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn));
    h' = (1 - z) ⊙ n + z ⊙ h (torch's equations and gate order r, z, n)."""
    xr, xz, xn = _affine(x, w_ih, b_ih).chunk(3, -1)
    hr, hz, hn = _affine(h, w_hh, b_hh).chunk(3, -1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return n + z * (h - n)


class _CellBase(Module):
    gates = 1

    def __init__(self, input_size, hidden_size, bias=True):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        _rnn_params(self, self.gates, input_size, hidden_size, bias)

    def _args(self):
        return (self.weight_ih, self.weight_hh, getattr(self, "bias_ih", None) if self.bias else None,
                getattr(self, "bias_hh", None) if self.bias else None)

    def _input(self, x, hx, n_states):
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{type(self).__name__} expects input (N, {self.input_size}) or ({self.input_size},), "
                             f"got shape {x.shape}")
        batched = x.ndim == 2
        x = x if batched else x.unsqueeze(0)
        if hx is None:
            z = Tensor.zeros((x.shape[0], self.hidden_size), device=x.device, dtype=x.dtype)
            hx = (z,) * n_states
        else:
            hx = (hx,) if n_states == 1 else tuple(hx)
            hx = tuple(h if batched else h.unsqueeze(0) for h in hx)
        return x, hx, batched

    def extra_repr(self):
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(_CellBase):
    """One Elman RNN step, h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh): forward(input, hx=None) -> h' (hx None:
    zeros). input_size: features of x; hidden_size: the size of h; bias: learn b_ih, b_hh; nonlinearity: act,
    "tanh" or "relu"."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh"):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._input(input, hx, 1)
        h = rnn_step(x, h, *self._args(), self.nonlinearity)
        return h if batched else h.squeeze(0)


class LSTMCell(_CellBase):
    """One LSTM step: forward(input, (h, c)) -> (h', c') (zeros when hx is None), torch's gates and layout.
    input_size: features of the input; hidden_size: the size of h and c; bias: learn b_ih and b_hh."""
    gates = 4

    def forward(self, input, hx=None):
        x, hc, batched = self._input(input, hx, 2)
        h, c = lstm_step(x, hc, *self._args())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    """One GRU step with torch's equations and gate order (r, z, n): forward(input, hx=None) -> h' (hx None:
    zeros). input_size: features of the input; hidden_size: the size of h; bias: learn b_ih and b_hh."""
    gates = 3

    def forward(self, input, hx=None):
        x, (h,), batched = self._input(input, hx, 1)
        h = gru_step(x, h, *self._args())
        return h if batched else h.squeeze(0)


class _RNNBase(Module):
    """Multi-layer, optionally bidirectional RNN / GRU with torch's parameter names (weight_ih_l{k}[_reverse], ...),
    inter-layer dropout in training, input (T, N, F) or batch_first (N, T, F), hx (layers·directions, N, H).
    forward(input, hx=None) -> (output, h_n). Each step is the cell's Tensor ops."""
    gates = 1

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False):
        super().__init__()
        if not 0 <= dropout <= 1:
            raise ValueError(f"{type(self).__name__}: dropout must be in [0, 1], got {dropout}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, dropout, bidirectional
        D = 2 if bidirectional else 1
        for k in range(num_layers):
            for sfx in ("", "_reverse")[:D]:
                _rnn_params(self, self.gates, input_size if k == 0 else hidden_size * D, hidden_size, bias,
                            f"_l{k}{sfx}")

    def _cell(self, x, h, k, sfx):
        a = [getattr(self, f"{n}_l{k}{sfx}") if (self.bias or n.startswith("weight")) else None
             for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        return self._step(x, h, *a)

    def forward(self, input, hx=None):
        if input.ndim != 3 or input.shape[2] != self.input_size:
            raise ValueError(f"{type(self).__name__} expects a 3-D input with {self.input_size} features, got shape "
                             f"{input.shape}")
        x = input.transpose(0, 1) if self.batch_first else input  # (T, N, F)
        T, N = x.shape[:2]
        D, H = 2 if self.bidirectional else 1, self.hidden_size
        if hx is not None and hx.shape != (self.num_layers * D, N, H):
            raise ValueError(f"{type(self).__name__} hx must have shape {(self.num_layers * D, N, H)}, got "
                             f"{hx.shape}")
        steps = list(x.unbind(0))
        hn = []
        for k in range(self.num_layers):
            outs = []
            for d, sfx in enumerate(("", "_reverse")[:D]):
                j = k * D + d
                h = Tensor.zeros((N, H), device=x.device, dtype=x.dtype) if hx is None else hx[j]
                seq = [None] * T
                for t in (range(T - 1, -1, -1) if d else range(T)):
                    h = seq[t] = self._cell(steps[t], h, k, sfx)
                outs.append(seq)
                hn.append(h)
            steps = [Tensor.cat([o[t] for o in outs], 1) if D == 2 else outs[0][t] for t in range(T)]
            if self.dropout and self.training and k < self.num_layers - 1:
                steps = [F.dropout(s, self.dropout) for s in steps]
        out = Tensor.stack(steps, 0)
        return (out.transpose(0, 1) if self.batch_first else out), Tensor.stack(hn, 0)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        return s + (", batch_first=True" if self.batch_first else "") + (", bidirectional=True" if self.bidirectional
                                                                       else "")


class RNN(_RNNBase):
    """Elman RNN: h_t = act(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh), act = tanh (nonlinearity="relu": relu).
    forward(input, hx=None) -> (output, h_n): input (T, N, F) or batch_first (N, T, F), hx (layers·directions,
    N, H) (None: zeros).

    Args:
        input_size: the number of input features F.
        hidden_size: the size H of the hidden state.
        num_layers: stacked layers, each reading the previous one's outputs.
        bias: learn the biases b_ih and b_hh.
        batch_first: input and output are (N, T, ·) instead of (T, N, ·) (hx stays (layers·directions, N, H)).
        dropout: dropout probability on the outputs of every layer but the last, in training.
        bidirectional: a second direction per layer, run backwards (outputs concatenated: 2H features).
        nonlinearity: "tanh" or "relu".
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional)
        self.nonlinearity = nonlinearity

    def _step(self, x, h, *a):
        return rnn_step(x, h, *a, self.nonlinearity)


class GRU(_RNNBase):
    """GRU with torch's equations (gru_step) and gate order (r, z, n). forward(input, hx=None) -> (output, h_n):
    input (T, N, F) or batch_first (N, T, F), hx (layers·directions, N, H) (None: zeros).

    Args:
        input_size: the number of input features F.
        hidden_size: the size H of the hidden state.
        num_layers: stacked layers, each reading the previous one's outputs.
        bias: learn the biases b_ih and b_hh.
        batch_first: input and output are (N, T, ·) instead of (T, N, ·) (hx stays (layers·directions, N, H)).
        dropout: dropout probability on the outputs of every layer but the last, in training.
        bidirectional: a second direction per layer, run backwards (outputs concatenated: 2H features).
    """
    gates = 3

    def _step(self, x, h, *a):
        return gru_step(x, h, *a)

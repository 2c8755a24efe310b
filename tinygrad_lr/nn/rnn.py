"""LSTM with torch's parameter layout: fused gates (i, f, g, o) in weight_ih_l{k} (4H, in), weight_hh_l{k}
(4H, H) and two biases, suffix _reverse for the backward direction.

    i, f, g, o = σ(·), σ(·), tanh(·), σ(·)  of  x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh
    c_t = f ⊙ c_{t-1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)

The input projection of all time steps is one matmul per layer and direction; the loop over time does only
h W_hhᵀ. Everything is engine ops, so gradients and HVPs flow through time like through any other graph.

forward(input, hx=None, lengths=None): `lengths` (one per sequence, padding at the end) plays the part of torch's
PackedSequence: past its end a sequence's state is carried through unchanged and its output is 0, so h_n, c_n are
the states at each sequence's last real step and the reverse direction starts there.
"""
import math

import numpy as np

from ..backend import to_host, xp
from ..tensor import Tensor
from . import init
from .module import Module, Parameter


class LSTM(Module):
    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, bidirectional=False):
        super().__init__()
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.bidirectional = bias, batch_first, bidirectional
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
        """One layer, one direction over the whole sequence xs (T, N, F); keep[t] (N, 1) marks real steps."""
        H = self.hidden_size
        T, N = xs.shape[0], xs.shape[1]
        W_ih, W_hh = getattr(self, f"weight_ih_l{k}{sfx}"), getattr(self, f"weight_hh_l{k}{sfx}")
        proj = xs.reshape(T * N, xs.shape[2]) @ W_ih.T
        if self.bias:
            proj = proj + (getattr(self, f"bias_ih_l{k}{sfx}") + getattr(self, f"bias_hh_l{k}{sfx}"))
        proj = proj.reshape(T, N, 4 * H)
        outs = [None] * T
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            gates = proj[t] + h @ W_hh.T
            s = gates.sigmoid()  # one sigmoid over all four gates; g is recomputed with tanh below
            i, f, o = s[:, :H], s[:, H:2 * H], s[:, 3 * H:]
            g = gates[:, 2 * H:3 * H].tanh()
            c_new = f * c + i * g
            h_new = o * c_new.tanh()
            if keep is None:
                h, c, outs[t] = h_new, c_new, h_new
            else:
                h, c = Tensor.where(keep[t], h_new, h), Tensor.where(keep[t], c_new, c)
                outs[t] = Tensor.where(keep[t], h_new, 0.0)
        return Tensor.stack(outs, 0), h, c

    def _keep_mask(self, lengths, T, N, device):
        """(T, N, 1) bool, True where step t is inside sequence n; None when every sequence is full length."""
        lengths = lengths.data if isinstance(lengths, Tensor) else lengths
        on_gpu = hasattr(lengths, "__cuda_array_interface__")
        lengths = (to_host(lengths) if on_gpu else np.asarray(lengths)).reshape(-1)
        if lengths.shape != (N,) or lengths.dtype.kind not in "iu" or lengths.min() < 1 or lengths.max() > T:
            raise ValueError(f"LSTM lengths must be {N} integers in [1, {T}], got {lengths.tolist()}")
        if (lengths == T).all():
            return None
        return xp(device).asarray(np.arange(T)[:, None, None] < lengths[None, :, None])

    def forward(self, input, hx=None, lengths=None):
        if input.ndim != 3:
            raise ValueError(f"LSTM expects a 3-D input ({'batch, seq' if self.batch_first else 'seq, batch'}, "
                             f"features), got shape {input.shape}")
        if input.shape[2] != self.input_size:
            raise ValueError(f"LSTM input has {input.shape[2]} features (shape {input.shape}) but input_size is "
                             f"{self.input_size}")
        x = input.permute(1, 0, 2) if self.batch_first else input
        N, D, H = x.shape[1], 2 if self.bidirectional else 1, self.hidden_size
        if hx is None:
            h0 = c0 = Tensor.zeros((self.num_layers * D, N, H), device=x.device, dtype=x.dtype)
        else:
            h0, c0 = hx
            for name, t in (("h0", h0), ("c0", c0)):
                if t.shape != (self.num_layers * D, N, H):
                    raise ValueError(f"LSTM {name} must have shape {(self.num_layers * D, N, H)}, got {t.shape}")
        keep = None if lengths is None else self._keep_mask(lengths, x.shape[0], N, x.device)
        hn, cn = [], []
        for k in range(self.num_layers):
            outs = []
            for d, sfx in enumerate(("", "_reverse")[:D]):
                j = k * D + d
                out, h, c = self._cell_loop(x, h0[j], c0[j], k, sfx, d == 1, keep)
                outs.append(out)
                hn.append(h)
                cn.append(c)
            x = outs[0] if D == 1 else Tensor.cat(outs, 2)
        out = x.permute(1, 0, 2) if self.batch_first else x
        return out, (Tensor.stack(hn, 0), Tensor.stack(cn, 0))

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}"
        return s + (", batch_first=True" if self.batch_first else "") + (", bidirectional=True" if self.bidirectional
                                                                       else "")

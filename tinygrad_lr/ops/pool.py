"""Pooling without materialising the windows: one strided slice per kernel offset, in the batch-last layout of
ops/conv.py (an (N, C, H, W) view of a (C, H, W, N) buffer; each slice then copies runs of N elements).

Max-pooling keeps a running maximum and, per output, the offset of the first maximum (uint8). Its derivative is
the linear map "send g to the winning positions" (MaxPoolScatter), whose adjoint, and own derivative, is "read
the winning positions" (MaxPoolGather): an adjoint pair of linear ops, like unfold/fold, so derivatives of every
order are exact (the winners are constants, as torch's indices). Average pooling is the linear AvgPool2d, whose
adjoint AvgPool2dT spreads g back over the windows.

Where the windows do not overlap (stride >= the dilated kernel), each input position belongs to at most one
window, so the scatter writes instead of adding.
"""
import numpy as np

from ..autograd import Function, Linear
from ..backend import xp
from .conv import chwn, crop_chwn, nchw, out_size, pad_chwn


class _Pool:
    """The geometry of one pooling."""

    def __init__(self, hw, kernel, stride, padding, dilation):
        (H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = hw, kernel, stride, padding, dilation
        self.hw, self.padding, self.padded = (H, W), (ph, pw), (H + 2 * ph, W + 2 * pw)
        self.oh, self.ow = out_size(H + 2 * ph, kh, sh, dh), out_size(W + 2 * pw, kw, sw, dw)
        self.disjoint = sh >= dh * (kh - 1) + 1 and sw >= dw * (kw - 1) + 1
        # the windows tile the padded input exactly: every position is in exactly one window
        self.tiles = (sh, sw) == (kh, kw) and (dh, dw) == (1, 1) and self.padded == (sh * self.oh, sw * self.ow)
        self.slices = [(slice(i * dh, i * dh + sh * (self.oh - 1) + 1, sh),
                        slice(j * dw, j * dw + sw * (self.ow - 1) + 1, sw)) for i in range(kh) for j in range(kw)]


class MaxPool2d(Function):
    """max of each window;  d/dx = scatter of g to each window's first maximum (MaxPoolScatter), with those
    positions held fixed (the JVP gathers the tangent at them: MaxPoolGather). `found`, a dict, receives the
    winners' offsets (for return_indices)."""

    def forward(self, x, kernel=None, stride=None, padding=None, dilation=None, found=None):
        m = xp(self.device)
        geo = _Pool(x.shape[2:], kernel, stride, padding, dilation)
        xpd = pad_chwn(x, padding, m, -np.inf)
        s0 = geo.slices[0]
        out = xpd[:, s0[0], s0[1]].copy()
        it = np.uint8 if len(geo.slices) < 256 else np.int32
        idx, gt = m.zeros(out.shape, dtype=it), m.empty(out.shape, dtype=bool)
        for k, (si, sj) in enumerate(geo.slices[1:], 1):
            v = xpd[:, si, sj]
            # strictly greater: ties keep the first maximum; offsets come in increasing order, so the new
            # winner's offset k is the largest yet (arithmetic on the mask: masked writes are 20x slower)
            m.greater(v, out, out=gt)
            m.maximum(idx, gt.astype(it) * it(k), out=idx)
            m.maximum(out, v, out=out)
        self.idx, self.hw = idx, x.shape[2:]
        if found is not None:  # F.max_pool2d(return_indices=True) reads the winners' offsets
            found["idx"] = idx
        return nchw(out)

    def backward(self, g, out, needs):
        return MaxPoolScatter.apply(g, idx=self.idx, hw=self.hw, **self._geo_kw())

    def jvp(self, tangents, out):
        return MaxPoolGather.apply(tangents[0], idx=self.idx, **self._geo_kw())

    def _geo_kw(self):
        return {k: self.kw[k] for k in ("kernel", "stride", "padding", "dilation")}


class MaxPoolScatter(Linear):
    """g (N, C, oh, ow) sent to the positions idx picked (zeros elsewhere; added where windows overlap), an
    (N, C, H, W) result;  linear, its gradient is MaxPoolGather (reading those positions)."""

    def forward(self, g, idx=None, hw=None, kernel=None, stride=None, padding=None, dilation=None):
        m = xp(self.device)
        geo = _Pool(hw, kernel, stride, padding, dilation)
        gc = chwn(g, m)
        dxp = (m.empty if geo.tiles else m.zeros)((gc.shape[0],) + geo.padded + (gc.shape[3],), dtype=g.dtype)
        for k, (si, sj) in enumerate(geo.slices):
            if geo.disjoint:  # each position is in at most one window: write (g times a 0/1 mask, as Relu)
                m.multiply(gc, idx == k, out=dxp[:, si, sj])
            else:
                dxp[:, si, sj] += gc * (idx == k)
        return nchw(crop_chwn(dxp, padding))

    def backward(self, h, out, needs):
        kw = dict(self.kw)
        del kw["hw"]
        return MaxPoolGather.apply(h, **kw)


class MaxPoolGather(Linear):
    """h (N, C, H, W) read at the positions idx picked, an (N, C, oh, ow) result;  linear, its gradient is
    MaxPoolScatter."""

    def forward(self, h, idx=None, kernel=None, stride=None, padding=None, dilation=None):
        m = xp(self.device)
        self.hw = h.shape[2:]
        geo = _Pool(self.hw, kernel, stride, padding, dilation)
        hp = pad_chwn(h, padding, m, 0.0)
        s0 = geo.slices[0]
        out = hp[:, s0[0], s0[1]] * (idx == 0)
        for k, (si, sj) in enumerate(geo.slices[1:], 1):
            out += hp[:, si, sj] * (idx == k)
        return nchw(out)

    def backward(self, g, out, needs):
        return MaxPoolScatter.apply(g, hw=self.hw, **self.kw)


class AvgPool2d(Linear):
    """Σ of each window (zero padding) times scale: 1/(kh·kw), or an (oh, ow) array of 1/count;  linear, its
    gradient is AvgPool2dT (g·scale spread back over the windows)."""

    def forward(self, x, kernel=None, stride=None, padding=None, scale=None):
        m = xp(self.device)
        self.hw = x.shape[2:]
        geo = _Pool(self.hw, kernel, stride, padding, (1, 1))
        xpd = pad_chwn(x, padding, m, 0.0)
        s0 = geo.slices[0]
        out = xpd[:, s0[0], s0[1]].copy()
        for si, sj in geo.slices[1:]:
            out += xpd[:, si, sj]
        out *= _scale(scale, out.dtype)
        return nchw(out)

    def backward(self, g, out, needs):
        return AvgPool2dT.apply(g, hw=self.hw, **self.kw)


class AvgPool2dT(Linear):
    """The adjoint of AvgPool2d: each window's g·scale added to every position of the window, an (N, C, H, W)
    result;  linear, its gradient is AvgPool2d."""

    def forward(self, g, hw=None, kernel=None, stride=None, padding=None, scale=None):
        m = xp(self.device)
        geo = _Pool(hw, kernel, stride, padding, (1, 1))
        gc = chwn(g, m) * _scale(scale, g.dtype)
        dxp = (m.empty if geo.tiles else m.zeros)((gc.shape[0],) + geo.padded + (gc.shape[3],), dtype=g.dtype)
        for si, sj in geo.slices:
            if geo.disjoint:
                dxp[:, si, sj] = gc
            else:
                dxp[:, si, sj] += gc
        return nchw(crop_chwn(dxp, padding))

    def backward(self, h, out, needs):
        kw = dict(self.kw)
        del kw["hw"]
        return AvgPool2d.apply(h, **kw)


def _scale(scale, dtype):
    """A Python float, or an (oh, ow) array broadcast over (C, oh, ow, N)."""
    return scale if isinstance(scale, float) else scale.astype(dtype, copy=False)[:, :, None]

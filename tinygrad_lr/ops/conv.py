"""Convolution: three trilinear-closed ops (Conv2d, its input gradient ConvTranspose2d, its weight gradient
ConvWeight) and im2col/col2im (Unfold/Fold) as a differentiable adjoint pair.

The three convolution ops are the bilinear maps of one trilinear form <g, conv(x, w)>: each one's gradients are
the other two (table below), so every derivative of a convolution, of any order, is again these three ops, and
a Hessian-vector product through a convnet is exact.

    y  = Conv2d(x, w)           dx = ConvTranspose2d(g, w)     dw = ConvWeight(x, g)
    dx = ConvTranspose2d(g, w)  dg = Conv2d(h, w)              dw = ConvWeight(h, g)
    dw = ConvWeight(x, g)       dx = ConvTranspose2d(g, H)     dg = Conv2d(x, H)

Memory layout. The tensors keep torch's (N, C, H, W) shape, but the ops work in the batch-last layout
(C, H, W, N): an op's result is an (N, C, H, W) view of a C-contiguous (C, H, W, N) buffer, elementwise ops keep
that layout (NumPy's ufuncs follow their input's memory order), and the next convolution or pooling op reads it
without a copy. In that layout each kernel offset's im2col slice is a copy of contiguous runs of ow·N elements,
the GEMM weight (O, C·kh·kw) @ columns (C·kh·kw, oh·ow·N) writes its result directly in the layout of the
output, and col2im adds contiguous runs back. An input in any other layout is copied into (C, H, W, N) once.
With unit stride the input gradient is itself a convolution (of g with the flipped kernel), which skips col2im.

Blocking. On the CPU the columns are built a block of output rows at a time into a buffer that stays in cache
(BLOCK_BYTES), each block's GEMM writes its rows of the output in place, and the columns are never stored: the
weight gradient rebuilds them block by block. So a convolution keeps only its input for the backward pass, as
torch does, and the full im2col matrix (75 MB for a 16-channel 3x3 layer at 32x32, batch 128) is never made.
"""
from ..autograd import Bilinear, Linear
from ..backend import xp
from ..tensor import Tensor

BLOCK_BYTES = 1 << 19  # the im2col buffer of one block of output rows (CPU: about L2); the GPU takes all rows at once


def out_size(n, k, s, d):
    """The output length of a window of size k, stride s, dilation d sliding over n (padded) positions."""
    return (n - d * (k - 1) - 1) // s + 1


def _windows(kernel, stride, dilation, oh, ow):
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


# ---- the batch-last layout ---------------------------------------------------------------------------------------
def chwn(a, m):
    """An (N, C, H, W) array as a C-contiguous (C, H, W, N) one (no copy when it is a view of one)."""
    return m.ascontiguousarray(a.transpose(1, 2, 3, 0))


def nchw(buf):
    """The (N, C, H, W) view of a (C, H, W, N) buffer."""
    return buf.transpose(3, 0, 1, 2)


def pad_chwn(a, padding, m, value=0.0):
    """An (N, C, H, W) array as a C-contiguous (C, H + 2ph, W + 2pw, N) one, the border filled with value."""
    ph, pw = padding
    if not (ph or pw):
        return chwn(a, m)
    N, C, H, W = a.shape
    buf = m.empty((C, H + 2 * ph, W + 2 * pw, N), dtype=a.dtype)
    if ph:
        buf[:, :ph] = value
        buf[:, H + ph:] = value
    if pw:
        buf[:, ph:H + ph, :pw] = value
        buf[:, ph:H + ph, W + pw:] = value
    buf[:, ph:H + ph, pw:W + pw] = a.transpose(1, 2, 3, 0)
    return buf


def crop_chwn(buf, padding):
    """buf (C, H, W, N) without `padding` = (ph, pw) rows and columns on each side."""
    ph, pw = padding
    return buf[:, ph:buf.shape[1] - ph, pw:buf.shape[2] - pw] if ph or pw else buf


class _Plan:
    """The geometry of one convolution, and its blocks of output rows."""

    def __init__(self, device, C, hw, kernel, stride, padding, dilation, N, itemsize):
        (H, W), (kh, kw), (sh, sw), (ph, pw), (dh, dw) = hw, kernel, stride, padding, dilation
        self.C, self.N, self.kernel, self.stride, self.padding, self.dilation = C, N, kernel, stride, padding, dilation
        self.hw, self.padded = (H, W), (H + 2 * ph, W + 2 * pw)
        self.oh, self.ow = out_size(H + 2 * ph, kh, sh, dh), out_size(W + 2 * pw, kw, sw, dw)
        self.K = C * kh * kw
        # a 1x1 kernel with unit stride and no padding: the columns are the input itself
        self.pointwise = kh == kw == 1 and sh == sw == 1 and not (ph or pw)
        row = self.K * self.ow * N * itemsize
        R = self.oh if device != "cpu" else max(1, min(self.oh, BLOCK_BYTES // max(row, 1)))
        self.R = R
        self.blocks = [(r0, min(R, self.oh - r0)) for r0 in range(0, self.oh, R)]

    def buffer(self, m, dtype):
        return m.empty(self.K * self.R * self.ow * self.N, dtype=dtype)

    def block(self, buf, R):
        """The buffer viewed as the (C, kh, kw, R, ow, N) columns of R output rows."""
        kh, kw = self.kernel
        return buf[:self.K * R * self.ow * self.N].reshape(self.C, kh, kw, R, self.ow, self.N)

    def offsets(self, r0, R):
        """(i, j, rows, cols): the slices of the padded input that kernel offset (i, j) reads for output rows
        r0 .. r0 + R - 1."""
        (kh, kw), (sh, sw), (dh, dw), ow = self.kernel, self.stride, self.dilation, self.ow
        for i in range(kh):
            top = r0 * sh + i * dh
            rows = slice(top, top + sh * (R - 1) + 1, sh)
            for j in range(kw):
                yield i, j, rows, slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)

    def windows(self, m, xpd):
        """Every window of the padded (C, Hp, Wp, N) input as a (C, kh, kw, oh, ow, N) strided view (no copy)."""
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        sc, sr, sx, sn = xpd.strides
        return m.lib.stride_tricks.as_strided(xpd, shape=(self.C, kh, kw, self.oh, self.ow, self.N),
                                              strides=(sc, dh * sr, dw * sx, sh * sr, sw * sx, sn))

    def unfold(self, win, buf, r0, R):
        """im2col of output rows r0 .. r0 + R - 1 into buf, as a (C·kh·kw, R·ow·N) matrix: one copy from the
        windows view (runs of ow·N elements at unit stride)."""
        cols = self.block(buf, R)
        cols[...] = win[:, :, :, r0:r0 + R]
        return cols.reshape(self.K, R * self.ow * self.N)

    def fold_add(self, dxp, cols, r0, R):
        cols = cols.reshape(self.C, self.kernel[0], self.kernel[1], R, self.ow, self.N)
        for i, j, rows, cs in self.offsets(r0, R):
            dxp[:, rows, cs] += cols[:, i, j]


def _plan(device, x_shape, w_shape, stride, padding, dilation, itemsize):
    N, C, H, W = x_shape
    return _Plan(device, C, (H, W), tuple(w_shape[2:]), stride, padding, dilation, N, itemsize)


def _rows(a, r0, R):
    """Rows r0 .. r0 + R - 1 of a C-contiguous (O, oh, ow, N) buffer as an (O, R·ow·N) matrix: always a view
    (a matmul writes its block of the output through it)."""
    n = a.shape[2] * a.shape[3]
    return a.reshape(a.shape[0], -1)[:, r0 * n:(r0 + R) * n]


def _common(m, *arrays):
    dt = m.result_type(*arrays)
    return [a.astype(dt, copy=False) for a in arrays]


def _conv(m, device, x, w, b, stride, padding, dilation):
    """conv(x, w) + b as a (O, oh, ow, N) buffer: a block of output rows at a time, im2col then one GEMM that
    writes the block in place."""
    O = w.shape[0]
    p = _plan(device, x.shape, w.shape, stride, padding, dilation, x.itemsize)
    w2 = w.reshape(O, p.K)
    out = m.empty((O, p.oh, p.ow, p.N), dtype=x.dtype)
    b = None if b is None else b.astype(x.dtype, copy=False).reshape(O, 1)
    if p.pointwise:
        m.matmul(w2, chwn(x, m).reshape(p.C, -1), out=out.reshape(O, -1))
        if b is not None:
            out.reshape(O, -1)[...] += b
    else:
        win, buf = p.windows(m, pad_chwn(x, padding, m)), p.buffer(m, x.dtype)
        for r0, R in p.blocks:
            block = m.matmul(w2, p.unfold(win, buf, r0, R), out=_rows(out, r0, R))
            if b is not None:  # while the block is in cache
                block += b
    return out


class Conv2d(Bilinear):
    """y = conv(x, w) (+ b): 2-D cross-correlation, x (N, C, H, W), w (O, C, kh, kw), b (O,);
    dx = ConvTranspose2d(g, w), dw = ConvWeight(x, g), db = Σ g over (N, oh, ow)."""

    def forward(self, x, w, b=None, stride=None, padding=None, dilation=None):
        m = xp(self.device)
        x, w = _common(m, x, w)
        return nchw(_conv(m, self.device, x, w, b, stride, padding, dilation))

    def backward(self, g, out, needs):
        x, w = self.parents[:2]
        geo = dict(stride=self.kw["stride"], padding=self.kw["padding"], dilation=self.kw["dilation"])
        if not g.requires_grad:  # a constant: put it in the batch-last layout once for both products below
            g = Tensor.wrap(nchw(chwn(g.data, xp(self.device))), g.device)
        gx = ConvTranspose2d.apply(g, w, hw=x.shape[2:], **geo) if needs[0] else None
        gw = ConvWeight.apply(x, g, kernel=w.shape[2:], **geo) if needs[1] else None
        if len(needs) == 2:
            return gx, gw
        return gx, gw, (g.sum((0, 2, 3)) if needs[2] else None)

    def jvp(self, tangents, out):
        d = super().jvp(tangents[:2], out)
        if len(tangents) > 2 and tangents[2] is not None:
            tb = tangents[2].reshape(1, -1, 1, 1)
            d = tb if d is None else d + tb
        return d


class ConvTranspose2d(Bilinear):
    """dx = conv_transpose(g, w): col2im of wᵀ @ g, an (N, C, H, W) input gradient (H, W = hw), the adjoint of
    x -> conv(x, w);  dg = Conv2d(h, w), dw = ConvWeight(h, g)."""

    def forward(self, g, w, hw=None, stride=None, padding=None, dilation=None):
        m = xp(self.device)
        g, w = _common(m, g, w)
        O, C, kh, kw = w.shape
        (ph, pw), (dh, dw) = padding, dilation
        oh, ow = g.shape[2:]
        if stride == (1, 1) and dh * (kh - 1) >= ph and dw * (kw - 1) >= pw and C >= 8 and \
                hw[0] * hw[1] <= 1.25 * oh * ow:
            # unit stride: the adjoint is itself a convolution, of g with the flipped kernel (channels swapped),
            # padded by d·(k-1) - p: one GEMM writing (C, P) per block instead of (C·kh·kw, P) plus col2im.
            # Taken where it does about as many flops (padding near "same") and its GEMM is not too skinny.
            wf = m.ascontiguousarray(w.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1])
            return nchw(_conv(m, self.device, g, wf, None, stride, (dh * (kh - 1) - ph, dw * (kw - 1) - pw),
                              dilation))
        p = _Plan(self.device, C, hw, (kh, kw), stride, padding, dilation, g.shape[0], g.itemsize)
        w2t = w.reshape(O, p.K).T
        gc = chwn(g, m)
        if p.pointwise:
            return nchw(m.matmul(w2t, gc.reshape(O, -1)).reshape(C, hw[0], hw[1], p.N))
        dxp = m.zeros((C,) + p.padded + (p.N,), dtype=g.dtype)
        buf = p.buffer(m, g.dtype)
        for r0, R in p.blocks:
            cols = m.matmul(w2t, _rows(gc, r0, R), out=buf[:p.K * R * p.ow * p.N].reshape(p.K, -1))
            p.fold_add(dxp, cols, r0, R)
        return nchw(crop_chwn(dxp, padding))

    def backward(self, h, out, needs):
        g, w = self.parents
        geo = dict(stride=self.kw["stride"], padding=self.kw["padding"], dilation=self.kw["dilation"])
        dg = Conv2d.apply(h, w, **geo) if needs[0] else None
        dw = ConvWeight.apply(h, g, kernel=w.shape[2:], **geo) if needs[1] else None
        return dg, dw


class ConvWeight(Bilinear):
    """dw = Σ over positions of g ⊗ im2col(x): the (O, C, kh, kw) weight gradient of conv(x, w) for output
    gradient g;  dx = ConvTranspose2d(g, H), dg = Conv2d(x, H)."""

    def forward(self, x, g, kernel=None, stride=None, padding=None, dilation=None):
        m = xp(self.device)
        x, g = _common(m, x, g)
        O = g.shape[1]
        p = _plan(self.device, x.shape, (O, x.shape[1]) + tuple(kernel), stride, padding, dilation, x.itemsize)
        gc = chwn(g, m)
        # dwᵀ (C·kh·kw, O) = columns @ gᵀ: with both stored row-major (K, P) and (O, P), this orientation runs
        # at twice the rate of g @ columnsᵀ in OpenBLAS (the long reduction is over the contiguous dim of both)
        if p.pointwise:
            gwt = m.matmul(chwn(x, m).reshape(p.C, -1), gc.reshape(O, -1).T)
        else:
            win, buf = p.windows(m, pad_chwn(x, padding, m)), p.buffer(m, x.dtype)
            gwt = tmp = None
            for r0, R in p.blocks:
                cols = p.unfold(win, buf, r0, R)
                if gwt is None:
                    gwt = m.matmul(cols, _rows(gc, r0, R).T)
                else:
                    tmp = m.matmul(cols, _rows(gc, r0, R).T, out=tmp)
                    gwt += tmp
        gw = m.ascontiguousarray(gwt.T)
        return gw.reshape((O, p.C) + tuple(kernel))

    def backward(self, H, out, needs):
        x, g = self.parents
        geo = dict(stride=self.kw["stride"], padding=self.kw["padding"], dilation=self.kw["dilation"])
        dx = ConvTranspose2d.apply(g, H, hw=x.shape[2:], **geo) if needs[0] else None
        dg = Conv2d.apply(x, H, **geo) if needs[1] else None
        return dx, dg


# ---- im2col / col2im (F.unfold, F.fold) --------------------------------------------------------------------------
class Unfold(Linear):
    """im2col: (N, C, H, W) -> (C·kh·kw, N·oh·ow), every window as a column;  linear, its gradient is fold(g)."""
    def forward(self, x, kernel=None, stride=None, dilation=None):
        N, C, H, W = self.in_shape = x.shape
        self.args = kernel, stride, dilation
        oh, ow = out_size(H, kernel[0], stride[0], dilation[0]), out_size(W, kernel[1], stride[1], dilation[1])
        xt = x.transpose(1, 0, 2, 3)
        cols = xp(self.device).empty((C, kernel[0], kernel[1], N, oh, ow), dtype=x.dtype)
        for i, j, (si, sj) in _windows(kernel, stride, dilation, oh, ow):
            cols[:, i, j] = xt[:, :, si, sj]
        return cols.reshape(C * kernel[0] * kernel[1], N * oh * ow)

    def backward(self, g, out, needs):
        return Fold.apply(g, shape=self.in_shape, kernel=self.args[0], stride=self.args[1], dilation=self.args[2])


class Fold(Linear):
    """col2im: columns added back into their windows (overlaps add up);  linear, its gradient is unfold(g)."""
    def forward(self, cols, shape=None, kernel=None, stride=None, dilation=None):
        N, C, H, W = shape
        self.args = kernel, stride, dilation
        oh, ow = out_size(H, kernel[0], stride[0], dilation[0]), out_size(W, kernel[1], stride[1], dilation[1])
        cols = cols.reshape(C, kernel[0], kernel[1], N, oh, ow)
        out = xp(self.device).zeros((C, N, H, W), dtype=cols.dtype)
        for i, j, (si, sj) in _windows(kernel, stride, dilation, oh, ow):
            out[:, :, si, sj] += cols[:, i, j]
        return out.transpose(1, 0, 2, 3)

    def backward(self, g, out, needs):
        k, s, d = self.args
        return Unfold.apply(g, kernel=k, stride=s, dilation=d)

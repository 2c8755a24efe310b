"""im2col and col2im as a differentiable adjoint pair.

unfold: (N, C, H, W) -> (C·kh·kw, N·oh·ow), one strided-slice copy per kernel offset; convolution is then one
GEMM with the (O, C·kh·kw) weight. fold is its adjoint (overlapping windows add up). Each is the other's
backward, so every derivative of a convolution or a pooling, of any order, is again unfold/fold plus GEMMs.
"""
from ..autograd import Linear
from ..backend import xp


def out_size(n, k, s, d):
    return (n - d * (k - 1) - 1) // s + 1


def _windows(kernel, stride, dilation, oh, ow):
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    for i in range(kh):
        for j in range(kw):
            yield i, j, (slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


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

"""The user-facing F namespace, as torch.nn.functional. Everything here is composed of engine ops, so every
function has first- and higher-order derivatives without a backward of its own."""
import math
import numbers

import numpy as np

from . import backend
from .ops.conv import Conv2d, ConvTranspose2d, Fold, Unfold, nchw as nchw_of, out_size
from .ops.linalg import Affine
from .ops.nn import LogSoftmax
from .ops.norm import BatchNorm
from .ops.pool import AvgPool2d, MaxPool2d
from .tensor import Tensor, dim_of, dims_of


def _pair(v, name):
    v = (v, v) if isinstance(v, numbers.Integral) else tuple(v)
    if len(v) != 2 or any(not isinstance(i, numbers.Integral) for i in v):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return v


def relu(x):
    """max(x, 0) elementwise;  d/dx = 1 where x > 0, else 0 (x.relu())."""
    return x.relu()


def sigmoid(x):
    """σ(x) = 1/(1 + e^-x) elementwise;  d/dx = σ(x)·(1 - σ(x)) (x.sigmoid())."""
    return x.sigmoid()


def tanh(x):
    """tanh(x) elementwise;  d/dx = 1 - tanh²(x) (x.tanh())."""
    return x.tanh()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """input where input > 0, else negative_slope·input (inplace is accepted and ignored: a new tensor is
    returned)."""
    return input.leaky_relu(negative_slope)


def gelu(input, approximate="none"):
    """input·Φ(input) (Φ the standard normal CDF, via erf), or with approximate="tanh" torch's tanh
    approximation."""
    return input.gelu(approximate)


def elu(input, alpha=1.0, inplace=False):
    """input where input > 0, else alpha·(e^input - 1) (inplace is accepted and ignored: a new tensor is
    returned)."""
    return input.elu(alpha)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^{β·input})/β with β = beta, and input itself where β·input > threshold (as torch)."""
    return input.softplus(beta, threshold)


def silu(input, inplace=False):
    """input·σ(input) (inplace is accepted and ignored: a new tensor is returned)."""
    return input.silu()


def logsigmoid(input):
    """log σ(input) = -softplus(-input), finite for any input."""
    return -(-input).softplus()


def _shift(x, dim):
    """The max over dim (kept), as a constant (0 where it is not finite): x - shift keeps exp from overflowing."""
    m = x.detach().amax(dim, keepdim=True).data
    return Tensor.wrap(backend.xp(x.device).where(backend.xp(x.device).isfinite(m), m, 0), x.device)


def logsumexp(x, dim=None, keepdim=False):
    """log Σ exp(x) over dim (an int, a tuple, or None for all), shifted by the (constant) max so ±1e4 stays
    finite; the shift cancels in every derivative. keepdim: keep the reduced dims with size 1."""
    m = _shift(x, dim)
    out = (x - m).exp().sum(dim, keepdim=True).log() + m
    if keepdim:
        return out
    axes = dims_of(dim, x.ndim)
    return out.reshape(tuple(s for i, s in enumerate(out.shape) if axes is not None and i not in axes))


def softmax(x, dim=-1):
    """e^x / Σ e^x along dim (the max subtracted first, as a constant, so nothing overflows); its derivative is
    that of the composition: J = diag(s) - s·sᵀ per slice."""
    e = (x - x.detach().amax(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def log_softmax(x, dim=-1):
    """x - logsumexp(x) along dim as one op (ops.nn.LogSoftmax): (x - max) - log Σ exp(x - max), so no large max
    is added back and subtracted again, which would cost float32 all its digits at |x| ~ 1e4."""
    if x.ndim == 0:  # as torch: a 0-d input is its own slice (log softmax 0)
        return LogSoftmax.apply(x.reshape(1), dim=dim_of(dim, 0)).reshape(())
    return LogSoftmax.apply(x, dim=dim_of(dim, x.ndim))


def linear(x, weight, bias=None):
    """x @ weightᵀ + bias, weight of shape (out_features, in_features) as torch."""
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input of shape {x.shape} does not match weight of shape {weight.shape} "
                         f"(in_features {weight.shape[-1]})")
    if weight.ndim != 2 or x.ndim == 0 or (bias is not None and (not isinstance(bias, Tensor) or
                                                                 bias.shape != weight.shape[:1])):
        out = x @ weight.T
        return out if bias is None else out + bias
    return Affine.apply(x, weight, bias) if bias is not None else Affine.apply(x, weight)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation (torch.nn.functional.conv2d): one Conv2d op (ops/conv.py: im2col in the batch-last
    layout, a block of output rows at a time, one GEMM per block), whose gradients are the ConvTranspose2d and
    ConvWeight ops, and theirs again these three.

    Args:
        x: the input, (N, C, H, W).
        weight: the filters, (O, C/groups, kh, kw).
        bias: (O,) added per output channel, or None.
        stride, dilation: an int or a pair (rows, columns).
        padding: zeros around the input, an int or a pair; or "same" (stride 1; an odd total padding puts the
            extra row/column at the end, as torch) or "valid" (none).
        groups: > 1: the channels split into that many groups, one convolution per group, concatenated."""
    if isinstance(padding, str):
        x, padding = _string_padding(x, weight, stride, padding, dilation, "conv2d")
    if groups != 1:
        return _grouped(conv2d, x, weight, bias, groups, "conv2d", stride=stride, padding=padding,
                        dilation=dilation)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv2d: expected input (N, C, H, W) and weight (O, C, kh, kw), got {x.shape} and "
                         f"{weight.shape}")
    N, C, H, W = x.shape
    O, Cw, kh, kw = weight.shape
    if C != Cw:
        raise ValueError(f"conv2d: input has {C} channels (shape {x.shape}) but weight expects {Cw} "
                         f"(shape {weight.shape})")
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    oh, ow = out_size(H + 2 * ph, kh, sh, dh), out_size(W + 2 * pw, kw, sw, dw)
    if oh < 1 or ow < 1:
        raise ValueError(f"conv2d: kernel {(kh, kw)} (dilation {(dh, dw)}) is larger than the padded input "
                         f"{(H + 2 * ph, W + 2 * pw)}")
    if bias is not None and bias.shape != (O,):
        raise ValueError(f"conv2d: bias of shape {bias.shape} for {O} output channels")
    geo = dict(stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw))
    return Conv2d.apply(x, weight, **geo) if bias is None else Conv2d.apply(x, weight, bias, **geo)


def _string_padding(x, weight, stride, padding, dilation, name):
    """padding "valid" -> 0; "same" -> the padding that keeps the size at stride 1: d·(k - 1) in all, half before
    (rounded down), the rest after (an asymmetric remainder is padded onto x explicitly)."""
    nd = weight.ndim - 2
    if padding == "valid":
        return x, (0,) * nd
    if padding != "same":
        raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', got {padding!r}")
    st = (stride,) * nd if isinstance(stride, numbers.Integral) else tuple(stride)
    if any(v != 1 for v in st):
        raise ValueError(f"{name}: padding='same' needs stride 1, got {stride}")
    dil = (dilation,) * nd if isinstance(dilation, numbers.Integral) else tuple(dilation)
    total = [d * (k - 1) for d, k in zip(dil, weight.shape[2:])]
    lo = tuple(v // 2 for v in total)
    extra = [v - 2 * lv for v, lv in zip(total, lo)]
    if any(extra):  # torch.nn.functional.pad order: last dim first
        x = x.pad(tuple(v for e in reversed(extra) for v in (0, e)))
    return x, lo


def _grouped(fn, x, weight, bias, groups, name, transposed=False, **kw):
    """fn applied per group of channels: x's channels and weight's (dim 0 when transposed, else output channels)
    split in `groups` pieces, the results concatenated along the channels."""
    C = x.shape[1]
    if groups < 1 or C % groups or weight.shape[0] % groups:
        raise ValueError(f"{name}: groups={groups} must divide the input channels ({C}) and the weight's dim 0 "
                         f"({weight.shape[0]})")
    xs, ws = x.chunk(groups, 1), weight.chunk(groups, 0)
    bs = [None] * groups if bias is None else bias.chunk(groups, 0)
    return Tensor.cat([fn(xi, wi, bi, **kw) for xi, wi, bi in zip(xs, ws, bs)], 1)


def _single(v, name):
    v = v if isinstance(v, numbers.Integral) else tuple(v)
    if isinstance(v, tuple):
        if len(v) != 1:
            raise ValueError(f"{name} must be an int or a 1-tuple, got {v}")
        v = v[0]
    return v


def conv1d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation, x (N, C, L), weight (O, C/groups, k): conv2d on a height-1 image. bias (O,) or
    None; stride, padding (an int, "same" or "valid"), dilation and groups as in conv2d, along the length."""
    if x.ndim != 3 or weight.ndim != 3:
        raise ValueError(f"conv1d: expected input (N, C, L) and weight (O, C/groups, k), got {x.shape} and "
                         f"{weight.shape}")
    if isinstance(padding, str):
        x, padding = _string_padding(x, weight, stride, padding, dilation, "conv1d")
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, _single(stride, "stride")),
                 (0, _single(padding, "padding")), (1, _single(dilation, "dilation")), groups)
    return out.squeeze(2)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """The transposed convolution (the adjoint of conv2d with the same geometry), x (N, C_in, h, w), weight
    (C_in, C_out/groups, kh, kw) as torch: output size (h - 1)·s - 2p + d·(k - 1) + output_padding + 1. One
    ConvTranspose2d op (ops/conv.py), whose gradients are Conv2d and ConvWeight. output_padding must be smaller
    than the stride (torch also allows it below the dilation). bias: (C_out,) or None; stride, padding,
    dilation: ints or pairs, as the conv2d this is the adjoint of (padding is taken off the output); groups as
    in conv2d."""
    if groups != 1:
        return _grouped(conv_transpose2d, x, weight, bias, groups, "conv_transpose2d", stride=stride,
                        padding=padding, output_padding=output_padding, dilation=dilation)
    if x.ndim != 4 or weight.ndim != 4:
        raise ValueError(f"conv_transpose2d: expected input (N, C_in, H, W) and weight (C_in, C_out, kh, kw), got "
                         f"{x.shape} and {weight.shape}")
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"conv_transpose2d: input has {x.shape[1]} channels (shape {x.shape}) but weight expects "
                         f"{weight.shape[0]} (shape {weight.shape})")
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride, "stride"), _pair(padding, "padding"), _pair(dilation, "dilation")
    oph, opw = _pair(output_padding, "output_padding")
    if oph >= sh or opw >= sw:
        raise ValueError(f"conv_transpose2d: output_padding {(oph, opw)} must be smaller than the stride {(sh, sw)}")
    kh, kw = weight.shape[2:]
    H = (x.shape[2] - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    W = (x.shape[3] - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    if H < 1 or W < 1:
        raise ValueError(f"conv_transpose2d: the output size {(H, W)} is not positive")
    out = ConvTranspose2d.apply(x, weight, hw=(H, W), stride=(sh, sw), padding=(ph, pw), dilation=(dh, dw))
    return out if bias is None else out + bias.reshape(1, -1, 1, 1)


def _adaptive_matrix(n, o, device, dtype):
    """The (o, n) matrix of torch's adaptive average: row i averages [floor(i·n/o), ceil((i + 1)·n/o))."""
    a = np.zeros((o, n), dtype=dtype)
    for i in range(o):
        lo, hi = (i * n) // o, -((-(i + 1) * n) // o)
        a[i, lo:hi] = 1.0 / (hi - lo)
    return Tensor(a, device=device)


def adaptive_avg_pool2d(x, output_size):
    """Averages over torch's adaptive windows (row i: [floor(i·H/oh), ceil((i + 1)·H/oh))); output_size an int or
    a pair (None keeps that size). Where the windows tile the input, avg_pool2d; otherwise two small averaging
    matrices, A_h @ x @ A_wᵀ."""
    if x.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d: expected input (N, C, H, W), got shape {x.shape}")
    H, W = x.shape[2:]
    os = (output_size, output_size) if isinstance(output_size, numbers.Integral) or output_size is None else \
        tuple(output_size)
    oh, ow = (H if os[0] is None else os[0]), (W if os[1] is None else os[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"adaptive_avg_pool2d: output_size must be positive, got {output_size}")
    if (oh, ow) == (1, 1):
        return x.mean((2, 3), keepdim=True)
    if H % oh == 0 and W % ow == 0:
        return avg_pool2d(x, (H // oh, W // ow))
    out = x if ow == W else x @ _adaptive_matrix(W, ow, x.device, x.dtype).T
    return out if oh == H else _adaptive_matrix(H, oh, x.device, x.dtype) @ out


def _linear_matrix(n, o, scale, align_corners, dtype, device):
    """(o, n) weights of torch's linear interpolation along one dim."""
    dst = np.arange(o, dtype=np.float64)
    if align_corners:
        src = dst * ((n - 1) / (o - 1)) if o > 1 else np.zeros(o)
    else:
        src = np.maximum((dst + 0.5) * scale - 0.5, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = src - i0
    a = np.zeros((o, n))
    np.add.at(a, (np.arange(o), i0), 1 - lam)
    np.add.at(a, (np.arange(o), i1), lam)
    return Tensor(a.astype(dtype), device=device)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    """Resize the spatial dims of (N, C, L) or (N, C, H, W) input to `size`, or by `scale_factor`, as torch:
    mode "nearest" (source index floor(dst·scale)), "nearest-exact" (floor((dst + 0.5)·scale)), "linear"/"bilinear"
    (align_corners: the corner pixels' centres line up; else half-pixel centres, clamped at 0). scale =
    1/scale_factor when given (unless recompute_scale_factor), else in/out. Nearest modes index the input (the
    gradient adds back where a pixel is read more than once); linear modes are one small matrix per dim."""
    nd = input.ndim - 2
    if nd not in (1, 2):
        raise ValueError(f"interpolate: expects a 3-D or 4-D input, got shape {input.shape}")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    ins = input.shape[2:]
    if size is not None:
        outs = (size,) * nd if isinstance(size, numbers.Integral) else tuple(size)
        scales = [n / o for n, o in zip(ins, outs)]
    else:
        sf = (scale_factor,) * nd if isinstance(scale_factor, numbers.Number) else tuple(scale_factor)
        outs = tuple(int(np.floor(n * f)) for n, f in zip(ins, sf))
        scales = [n / o for n, o in zip(ins, outs)] if recompute_scale_factor else [1.0 / f for f in sf]
    if len(outs) != nd or any(o < 1 for o in outs):
        raise ValueError(f"interpolate: output size {outs} for a {nd}-D spatial input")
    if mode in ("nearest", "nearest-exact"):
        if align_corners is not None:
            raise ValueError(f"interpolate: align_corners only applies to linear modes, not {mode!r}")
        out = input
        for d, (n, o, sc) in enumerate(zip(ins, outs, scales)):
            off = 0.5 if mode == "nearest-exact" else 0.0
            idx = np.minimum(np.floor((np.arange(o) + off) * sc).astype(np.int64), n - 1)
            out = out.index_select(2 + d, Tensor(idx, device=input.device))
        return out
    if mode not in ("linear", "bilinear") or (mode == "linear") != (nd == 1):
        raise ValueError(f"interpolate: mode {mode!r} for a {nd}-D spatial input (nearest, nearest-exact, "
                         f"{'linear' if nd == 1 else 'bilinear'})")
    mats = [_linear_matrix(n, o, sc, bool(align_corners), input.dtype, input.device)
            for n, o, sc in zip(ins, outs, scales)]
    out = input @ mats[-1].T
    return out if nd == 1 else mats[0] @ out


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: x (N, C, H, W) -> (C·kh·kw, N·oh·ow) (note: columns are batch-major, unlike torch's
    (N, C·k·k, L)). kernel_size, dilation, padding (zeros) and stride: an int or a pair (rows, columns)."""
    ph, pw = _pair(padding, "padding")
    if ph or pw:
        x = x.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)))
    return Unfold.apply(x, kernel=_pair(kernel_size, "kernel_size"), stride=_pair(stride, "stride"),
                        dilation=_pair(dilation, "dilation"))


def fold(cols, output_size, kernel_size, dilation=1, stride=1):
    """col2im, the adjoint of unfold (no padding): cols (C·kh·kw, N·oh·ow) -> output_size (N, C, H, W), where
    overlapping windows add up. kernel_size, dilation and stride: an int or a pair, as given to unfold."""
    return Fold.apply(cols, shape=tuple(output_size), kernel=_pair(kernel_size, "kernel_size"),
                      stride=_pair(stride, "stride"), dilation=_pair(dilation, "dilation"))


def _pool_args(x, kernel_size, stride, padding, dilation, name):
    if x.ndim != 4:
        raise ValueError(f"{name}: expected input (N, C, H, W), got shape {x.shape}")
    N, C, H, W = x.shape
    k = _pair(kernel_size, "kernel_size")
    s = k if stride is None else _pair(stride, "stride")
    p, d = _pair(padding, "padding"), _pair(dilation, "dilation")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{name}: padding {p} should be at most half the kernel size {k}")
    oh, ow = out_size(H + 2 * p[0], k[0], s[0], d[0]), out_size(W + 2 * p[1], k[1], s[1], d[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"{name}: window {k} (dilation {d}) is larger than the padded input "
                         f"{(H + 2 * p[0], W + 2 * p[1])} of shape {x.shape}")
    return dict(kernel=k, stride=s, padding=p), d, (oh, ow)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over each window of x (N, C, H, W) (padding counts as -inf); kernel_size, stride (default: the
    kernel size), padding and dilation are ints or pairs. The backward sends the gradient to the window's first
    maximum (ops/pool.py: a scatter, whose own backward is the matching gather). ceil_mode: the output size
    rounds up (a last window that starts inside the input or its left padding is kept, as torch; the input is
    padded with -inf for it). return_indices: also the flat index (into each H·W plane) of each maximum."""
    geo, d, (oh, ow) = _pool_args(x, kernel_size, stride, padding, dilation, "max_pool2d")
    if ceil_mode:
        (kh, kw), (sh, sw), (ph, pw) = geo["kernel"], geo["stride"], geo["padding"]
        extra = []
        for n, k, s_, p_, d_ in ((x.shape[2], kh, sh, ph, d[0]), (x.shape[3], kw, sw, pw, d[1])):
            o = -(-(n + 2 * p_ - d_ * (k - 1) - 1) // s_) + 1
            if (o - 1) * s_ >= n + p_:
                o -= 1
            extra.append(max(0, (o - 1) * s_ + d_ * (k - 1) + 1 - (n + 2 * p_)))
        if any(extra):
            xp_ = x.pad(((0, 0), (0, 0), (ph, ph + extra[0]), (pw, pw + extra[1])), value=-np.inf)
            out = max_pool2d(xp_, geo["kernel"], geo["stride"], 0, d, False, return_indices)
            if not return_indices:
                return out
            out, idx = out
            Wp = x.shape[3] + 2 * pw + extra[1]
            i = idx.data // Wp - ph
            j = idx.data % Wp - pw
            return out, Tensor.wrap(i * x.shape[3] + j, x.device)
    if not return_indices:
        return MaxPool2d.apply(x, dilation=d, **geo)
    found = {}
    out = MaxPool2d.apply(x, dilation=d, found=found, **geo)
    return out, Tensor.wrap(_flat_indices(found["idx"], x.shape[3], d, **geo), x.device)


def _flat_indices(idx, W, dilation, kernel, stride, padding):
    """MaxPool2d's winning window offsets, (C, oh, ow, N) uint8, as torch's indices: row·W + column of each
    maximum in the unpadded input, (N, C, oh, ow) int64."""
    m = backend.xp(backend.device_of(idx))
    k = nchw_of(idx).astype(m.int64)
    oh, ow = k.shape[2:]
    row = m.arange(oh)[:, None] * stride[0] + (k // kernel[1]) * dilation[0] - padding[0]
    col = m.arange(ow)[None, :] * stride[1] + (k % kernel[1]) * dilation[1] - padding[1]
    return row * W + col


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over each window of x (N, C, H, W); kernel_size, stride (default: the kernel size) and padding
    (zeros) are ints or pairs. With padding and count_include_pad=False, the mean is over the window's unpadded
    elements."""
    geo, _, (oh, ow) = _pool_args(x, kernel_size, stride, padding, 1, "avg_pool2d")
    (kh, kw), (sh, sw), (ph, pw) = geo["kernel"], geo["stride"], geo["padding"]
    if count_include_pad or not (ph or pw):
        scale = 1.0 / (kh * kw)
    else:  # 1 / the number of real (unpadded) elements in each window: rows in range times columns in range
        m = backend.xp(x.device)
        rows = m.minimum(m.arange(oh) * sh - ph + kh, x.shape[2]) - m.maximum(m.arange(oh) * sh - ph, 0)
        cols = m.minimum(m.arange(ow) * sw - pw + kw, x.shape[3]) - m.maximum(m.arange(ow) * sw - pw, 0)
        scale = 1.0 / (rows[:, None] * cols[None, :]).astype(x.dtype)
    return AvgPool2d.apply(x, scale=scale, **geo)


def batch_norm(x, running_mean=None, running_var=None, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    """Normalise each channel (dim 1) by the batch's mean and biased variance (training, or no running
    statistics) or by the running ones; then scale by weight and shift by bias. In training the running
    statistics, when given, move by momentum towards the batch's mean and unbiased variance (as torch). The
    training case is one op (ops/norm.py) with an analytic, differentiable backward.

    Args:
        x: (N, C) or (N, C, ...), channels in dim 1.
        running_mean, running_var: (C,) Tensors or None; updated in place in training.
        weight, bias: (C,) scale and shift, or None.
        training: use (and update) the batch statistics.
        momentum: the running statistics' step towards the batch's.
        eps: added to the variance before the square root."""
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training or running_mean is None:
        stats = {}
        y = BatchNorm.apply(x, eps=eps, stats=stats) if weight is None else \
            BatchNorm.apply(x, weight, bias, eps=eps, stats=stats)
        if training and running_mean is not None:
            n = x.data.size // x.shape[1]
            running_mean.data = ((1 - momentum) * running_mean.data + momentum * stats["mean"]).astype(
                running_mean.dtype)
            running_var.data = ((1 - momentum) * running_var.data + momentum * stats["var"] * n /
                                max(n - 1, 1)).astype(running_var.dtype)
        return y
    y = (x - running_mean.reshape(shape)) / (running_var.reshape(shape) + eps).sqrt()
    return y * weight.reshape(shape) + bias.reshape(shape) if weight is not None else y


def dropout(x, p=0.5, training=True):
    """Zero each element of x with probability p and scale the rest by 1/(1-p), when training (else x itself);
    the mask comes from the device's seeded generator (tinygrad_lr.manual_seed)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = backend.rng(x.device).random(x.shape) >= p
    return Tensor.where(keep, x * (1.0 / (1 - p)), 0.0)


def embedding(indices, weight, padding_idx=None):
    """Rows of weight (num_embeddings, dim) picked by integer indices; repeated indices accumulate gradient. The
    row padding_idx (if not None) gets no gradient."""
    idx = indices.data if isinstance(indices, Tensor) else indices
    idx = backend.xp(weight.device).asarray(idx)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= weight.shape[0]):
        raise IndexError(f"embedding: index out of range [0, {weight.shape[0]}): min {int(idx.min())}, "
                         f"max {int(idx.max())}")
    out = weight[idx]
    if padding_idx is not None:  # the padding row gets no gradient
        out = Tensor.where((idx != padding_idx)[..., None], out, 0.0) + Tensor.where(
            (idx == padding_idx)[..., None], out.detach(), 0.0)
    return out


def _reduce(loss, reduction, denom=None):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        if denom is None:
            return loss.mean()
        if denom == 0:  # every target ignored (or weighted 0): the loss is 0/0 = nan as torch's, its gradient 0
            return loss.sum() + math.nan  # (the ignored terms carry no gradient; dividing by 0 would make it nan)
        return loss.sum() / denom
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _targets(target, n_classes, device):
    t = target.data if isinstance(target, Tensor) else target
    t = backend.xp(device).asarray(t)
    if t.dtype.kind == "f":
        if (t != t.round()).any():
            raise TypeError("class-index targets must be integers")
        t = t.astype("int64")
    return t


def nll_loss(log_probs, target, weight=None, reduction="mean", ignore_index=-100):
    """-log_probs[i, target[i]] (class dim 1), as torch.nn.functional.nll_loss.

    Args:
        log_probs: (N, C) or (N, C, d1, ...) log-probabilities, or (C,) for one sample.
        target: class indices, (N) or (N, d1, ...).
        weight: (C,) per-class weights, or None.
        reduction: "mean" (the weighted mean: divided by the summed weights of the counted targets), "sum" or
            "none" (target's shape).
        ignore_index: targets equal to it count for nothing."""
    if log_probs.ndim > 2:  # (N, C, d1, ...) -> (N·d1·..., C)
        log_probs = log_probs.permute(0, *range(2, log_probs.ndim), 1).reshape(-1, log_probs.shape[1])
    C = log_probs.shape[-1]
    t = _targets(target, C, log_probs.device).reshape(-1)
    if log_probs.ndim == 1:
        log_probs = log_probs.reshape(1, C)
    if t.shape[0] != log_probs.shape[0]:
        raise ValueError(f"nll_loss: {log_probs.shape[0]} predictions but {t.shape[0]} targets")
    valid = t != ignore_index
    safe = backend.xp(log_probs.device).where(valid, t, 0)
    if valid.any() and (safe.min() < 0 or safe.max() >= C):
        raise IndexError(f"nll_loss: target out of range [0, {C}): min {int(safe.min())}, max {int(safe.max())}")
    picked = log_probs[backend.xp(log_probs.device).arange(t.shape[0]), safe]
    if weight is None and bool(valid.all()):  # the common case: no weights, nothing ignored
        loss, w = -picked, valid
    else:
        w = valid.astype(log_probs.dtype)
        if weight is not None:
            w = w * weight.data[safe]
        loss = -picked * Tensor.wrap(w, log_probs.device)
    target_shape = target.shape if hasattr(target, "shape") else t.shape
    if reduction == "none":
        return loss.reshape(target_shape)
    return _reduce(loss, reduction, denom=float(w.sum()) if reduction == "mean" else None)


def cross_entropy(input, target, weight=None, reduction="mean", label_smoothing=0.0, ignore_index=-100):
    """log_softmax of the logits `input` over dim 1 (dim 0 for one sample), then nll_loss with target (class
    indices), weight (per class, or None), reduction ("mean", "sum", "none") and ignore_index as nll_loss;
    label_smoothing ε mixes in the uniform distribution as torch does: (1-ε)·nll + ε·mean_c(-w_c·log p_c)."""
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    dim = 1 if input.ndim > 1 else 0
    logp = log_softmax(input, dim)
    nll = nll_loss(logp, target, weight, "none", ignore_index)
    if label_smoothing == 0:
        t = _targets(target, input.shape[dim], input.device)
        return _reduce(nll, reduction, _denom(t, weight, ignore_index) if reduction == "mean" else None)
    C = input.shape[dim]
    lp = logp if weight is None else logp * weight.reshape((1, C) + (1,) * (input.ndim - 2) if input.ndim > 1 else C)
    smooth = -lp.sum(dim) * (1.0 / C)
    t = _targets(target, C, input.device)
    smooth = Tensor.where(t != ignore_index, smooth, 0.0)
    loss = nll * (1 - label_smoothing) + smooth * label_smoothing
    return _reduce(loss, reduction, _denom(t, weight, ignore_index) if reduction == "mean" else None)


def _denom(t, weight, ignore_index):
    valid = t != ignore_index
    if weight is None:
        return float(valid.sum())
    return float((weight.data[backend.xp(weight.device).where(valid, t, 0)] * valid).sum())


def mse_loss(input, target, reduction="mean"):
    """(input - target)², shapes equal; reduction: "mean" (default), "sum" or "none" (elementwise)."""
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ")
    d = input - target
    return _reduce(d * d, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """-[y·log σ(x) + (1-y)·log(1-σ(x))] for logits x = input and targets y = target (same shape), computed as
    (1-y)·x + softplus(-x) so large |x| stays finite. pos_weight p (broadcast over the classes) weighs the
    positive term: (1-y)·x + (1 + (p-1)·y)·softplus(-x); weight (broadcast) multiplies each element's loss;
    reduction: "mean" (default), "sum" or "none"."""
    target = input.const(target)
    if input.shape != target.shape:
        raise ValueError(f"binary_cross_entropy_with_logits: input shape {input.shape} and target shape "
                         f"{target.shape} differ")
    sp_neg = (-input).relu() + (1.0 + (-input.abs()).exp()).log()  # softplus(-x) = log(1 + e^{-x})
    if pos_weight is None:
        loss = (1.0 - target) * input + sp_neg
    else:
        loss = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * sp_neg
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _log_clamped(p):
    """log p clamped at -100 (torch's BCE). At p = 0 the value is -100 and the gradient 0, not 0/0 = nan: the log
    only ever sees p where p > 0 (and 1 elsewhere)."""
    pos = p.data > 0
    return Tensor.where(pos, Tensor.where(pos, p, 1.0).log(), -100.0).clip(min=-100.0)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-[y·log p + (1-y)·log(1-p)] on probabilities p = input and targets y = target (same shape); each log is
    clamped at -100 as torch does. weight (broadcast) multiplies each element's loss; reduction: "mean"
    (default), "sum" or "none"."""
    target = input.const(target)
    if input.shape != target.shape:
        raise ValueError(f"binary_cross_entropy: input shape {input.shape} and target shape {target.shape} differ")
    loss = -(target * _log_clamped(input) + (1.0 - target) * _log_clamped(1.0 - input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def _same_shape(name, input, target):
    target = input.const(target)
    if input.shape != target.shape:
        raise ValueError(f"{name}: input shape {input.shape} and target shape {target.shape} differ")
    return target


def l1_loss(input, target, reduction="mean"):
    """|input - target| (its gradient at 0 is 0, as torch's sign); reduction: "mean" (default), "sum" or
    "none"."""
    target = _same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5·d²/β where |d| < β, else |d| - 0.5·β (d = input - target, β = beta); β = 0 is the L1 loss. reduction:
    "mean" (default), "sum" or "none"."""
    target = _same_shape("smooth_l1_loss", input, target)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - target
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    return _reduce(Tensor.where(a.data < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5·d² where |d| < δ, else δ·(|d| - 0.5·δ) (d = input - target, δ = delta > 0). reduction: "mean"
    (default), "sum" or "none"."""
    target = _same_shape("huber_loss", input, target)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    d = input - target
    a = d.abs()
    return _reduce(Tensor.where(a.data < delta, d * d * 0.5, (a - 0.5 * delta) * delta), reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    """Pointwise KL divergence with input = log q: target·(log target - input), 0 where target = 0 (or, with
    log_target, e^target·(target - input)). reduction "batchmean" divides the sum by the batch size (the true KL
    divergence); "mean", as torch, by the number of elements."""
    target = _same_shape("kl_div", input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        pos = target.data > 0
        tlogt = Tensor.where(pos, target * Tensor.where(pos, target, 1.0).log(), 0.0)
        loss = tlogt - target * input
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input, pad, mode="constant", value=None):
    """torch.nn.functional.pad: (lo, hi) pairs from the last dim backwards; mode "constant" (value, default 0),
    "reflect" (mirrored without the edge), "replicate" (the edge repeated), "circular" (wrapped around). The last
    three index the input (numpy.pad's index pattern), so the gradient adds back at the positions read."""
    if mode == "constant":
        return input.pad(tuple(pad), 0.0 if value is None else value)
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: {pad} must hold (lo, hi) pairs for at most {input.ndim} dims")
    out = input
    for i in range(len(pad) // 2):
        d, lo, hi = input.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        n = input.shape[d]
        if mode == "reflect" and (lo >= n or hi >= n):
            raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be smaller than dim {d}'s size {n}")
        if mode == "circular" and (lo > n or hi > n):
            raise ValueError(f"pad: circular padding ({lo}, {hi}) must be at most dim {d}'s size {n}")
        if lo < 0 or hi < 0:
            raise ValueError(f"pad: negative padding {pad} (mode {mode!r})")
        if lo or hi:
            idx = np.pad(np.arange(n), (lo, hi), mode=_PAD_MODES[mode])
            out = out.index_select(d, Tensor(idx, device=input.device))
    return out


def one_hot(tensor, num_classes=-1):
    """An int64 tensor with one more dim, of size num_classes (max + 1 when -1), 1 at each index."""
    t = tensor.data if isinstance(tensor, Tensor) else backend.xp(backend.get_default_device()).asarray(tensor)
    dev = tensor.device if isinstance(tensor, Tensor) else backend.get_default_device()
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expects an integer tensor, got dtype {t.dtype}")
    n = int(t.max()) + 1 if num_classes == -1 and t.size else max(num_classes, 0)
    if t.size and (t.min() < 0 or t.max() >= n):
        raise ValueError(f"one_hot: class values must be in [0, {n}), got min {int(t.min())}, max {int(t.max())}")
    m = backend.xp(dev)
    return Tensor.wrap((t[..., None] == m.arange(n)).astype(m.int64), dev)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """input / max(‖input‖_p over dim, eps): each slice along dim scaled to unit p-norm."""
    return input / input.norm(p, dim, keepdim=True).clip(min=eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(input - mean)/√(var + eps) over the last len(normalized_shape) dims (biased variance), then ·weight +
    bias (each of normalized_shape, or None)."""
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    if input.shape[input.ndim - len(shape):] != shape:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the input's trailing dims "
                         f"{input.shape}")
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    xc = input - input.mean(dims, keepdim=True)
    y = xc * ((xc * xc).mean(dims, keepdim=True) + eps).rsqrt()
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """The channels (dim 1) of input split into num_groups groups, each normalised over its channels and the
    spatial dims (biased variance, eps added to it), then ·weight + bias per channel ((C,) each, or None)."""
    N, C = input.shape[:2]
    if C % num_groups:
        raise ValueError(f"group_norm: {C} channels do not split into {num_groups} groups")
    x = input.reshape(N, num_groups, -1)
    xc = x - x.mean(2, keepdim=True)
    y = (xc * ((xc * xc).mean(2, keepdim=True) + eps).rsqrt()).reshape(input.shape)
    shape = (1, C) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    return y if bias is None else y + bias.reshape(shape)

"""The user-facing F namespace, as torch.nn.functional. Everything here is composed of engine ops, so every
function has first- and higher-order derivatives without a backward of its own."""
import numbers

import numpy as np

from . import backend
from .ops.conv import Conv2d, Fold, Unfold, out_size
from .ops.nn import LogSoftmax
from .ops.norm import BatchNorm
from .ops.pool import AvgPool2d, MaxPool2d
from .tensor import Tensor, dims_of


def _pair(v, name):
    v = (v, v) if isinstance(v, numbers.Integral) else tuple(v)
    if len(v) != 2 or any(not isinstance(i, numbers.Integral) for i in v):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v}")
    return v


def relu(x):
    return x.relu()


def sigmoid(x):
    return x.sigmoid()


def tanh(x):
    return x.tanh()


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope·x (inplace is accepted and ignored: a new tensor is returned)."""
    return input.leaky_relu(negative_slope)


def gelu(input, approximate="none"):
    """x·Φ(x) (Φ via erf), or with approximate="tanh" torch's tanh approximation."""
    return input.gelu(approximate)


def elu(input, alpha=1.0, inplace=False):
    return input.elu(alpha)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^{βx})/β, linear where βx > threshold (as torch)."""
    return input.softplus(beta, threshold)


def silu(input, inplace=False):
    """x·σ(x)."""
    return input.silu()


def logsigmoid(input):
    """log σ(x) = -softplus(-x), finite for any x."""
    return -(-input).softplus()


def _shift(x, dim):
    """The max over dim (kept), as a constant (0 where it is not finite): x - shift keeps exp from overflowing."""
    m = x.detach().max(dim, keepdim=True).data
    return Tensor.wrap(backend.xp(x.device).where(backend.xp(x.device).isfinite(m), m, 0), x.device)


def logsumexp(x, dim=None, keepdim=False):
    """log Σ exp(x), shifted by the (constant) max so ±1e4 stays finite; the shift cancels in every derivative."""
    m = _shift(x, dim)
    out = (x - m).exp().sum(dim, keepdim=True).log() + m
    if keepdim:
        return out
    axes = dims_of(dim, x.ndim)
    return out.reshape(tuple(s for i, s in enumerate(out.shape) if axes is not None and i not in axes))


def softmax(x, dim=-1):
    e = (x - x.detach().max(dim, keepdim=True)).exp()
    return e / e.sum(dim, keepdim=True)


def log_softmax(x, dim=-1):
    """x - logsumexp(x) as one op (ops.nn.LogSoftmax): (x - max) - log Σ exp(x - max), so no large max is added
    back and subtracted again, which would cost float32 all its digits at |x| ~ 1e4."""
    return LogSoftmax.apply(x, dim=dims_of(dim, x.ndim)[0])


def linear(x, weight, bias=None):
    """x @ weightᵀ + bias, weight of shape (out_features, in_features) as torch."""
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"linear: input of shape {x.shape} does not match weight of shape {weight.shape} "
                         f"(in_features {weight.shape[-1]})")
    out = x @ weight.T
    return out if bias is None else out + bias


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D cross-correlation (torch.nn.functional.conv2d, groups=1): one Conv2d op (ops/conv.py: im2col in the
    batch-last layout, a block of output rows at a time, one GEMM per block), whose gradients are the
    ConvTranspose2d and ConvWeight ops, and theirs again these three."""
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


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) -> (C·kh·kw, N·oh·ow) (note: columns are batch-major, unlike torch's (N, C·k·k, L))."""
    ph, pw = _pair(padding, "padding")
    if ph or pw:
        x = x.pad(((0, 0), (0, 0), (ph, ph), (pw, pw)))
    return Unfold.apply(x, kernel=_pair(kernel_size, "kernel_size"), stride=_pair(stride, "stride"),
                        dilation=_pair(dilation, "dilation"))


def fold(cols, output_size, kernel_size, dilation=1, stride=1):
    """col2im, the adjoint of unfold (no padding): (C·kh·kw, N·oh·ow) -> output_size (N, C, H, W)."""
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


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """Max over each window (padding counts as -inf); the backward sends the gradient to the window's first
    maximum (ops/pool.py: a scatter, whose own backward is the matching gather)."""
    geo, d, _ = _pool_args(x, kernel_size, stride, padding, dilation, "max_pool2d")
    return MaxPool2d.apply(x, dilation=d, **geo)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over each window; with padding and count_include_pad=False, over the window's unpadded elements."""
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
    training case is one op (ops/norm.py) with an analytic, differentiable backward."""
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
    """Zero each element with probability p and scale the rest by 1/(1-p); the mask comes from the device's
    seeded generator (tinygrad_lr.manual_seed)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = backend.rng(x.device).random(x.shape) >= p
    return Tensor.where(keep, x * (1.0 / (1 - p)), 0.0)


def embedding(indices, weight, padding_idx=None):
    """Rows of weight (num_embeddings, dim) picked by integer indices; repeated indices accumulate gradient."""
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
        return loss.mean() if denom is None else loss.sum() / denom
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
    """-log_probs[i, target[i]] (class dim 1), optionally weighted per class, as torch.nn.functional.nll_loss."""
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
    """log_softmax over dim 1, then nll_loss; label_smoothing ε mixes in the uniform distribution as torch does:
    (1-ε)·nll + ε·mean_c(-w_c·log p_c)."""
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
    if input.shape != target.shape:
        raise ValueError(f"mse_loss: input shape {input.shape} and target shape {target.shape} differ")
    d = input - target
    return _reduce(d * d, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """-[y·log σ(x) + (1-y)·log(1-σ(x))], computed as (1-y)·x + softplus(-x) so large |x| stays finite."""
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
    """-[y·log p + (1-y)·log(1-p)] on probabilities; each log is clamped at -100 as torch does."""
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
    """|input - target| (its gradient at 0 is 0, as torch's sign)."""
    target = _same_shape("l1_loss", input, target)
    return _reduce((input - target).abs(), reduction)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """0.5·d²/β where |d| < β, else |d| - 0.5·β (d = input - target); β = 0 is the L1 loss."""
    target = _same_shape("smooth_l1_loss", input, target)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = input - target
    a = d.abs()
    if beta == 0:
        return _reduce(a, reduction)
    return _reduce(Tensor.where(a.data < beta, d * d * (0.5 / beta), a - 0.5 * beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5·d² where |d| < δ, else δ·(|d| - 0.5·δ) (d = input - target)."""
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
    """x / max(‖x‖_p over dim, eps)."""
    return input / input.norm(p, dim, keepdim=True).clip(min=eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean)/√(var + eps) over the last len(normalized_shape) dims (biased variance), then ·weight + bias."""
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
    """The channels (dim 1) split into num_groups groups, each normalised over its channels and the spatial dims
    (biased variance), then ·weight + bias per channel."""
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

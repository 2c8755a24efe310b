"""Layers, with torch's parameter names, shapes and default initialisation."""
import numpy as np

from .. import functional as F
from ..tensor import Tensor
from . import init
from .module import Module, Parameter
from .reeval import running_stats_frozen


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


class Linear(Module):
    """y = x Wᵀ + b (F.linear, one op), W of shape (out_features, in_features), as torch.nn.Linear.

    Args:
        in_features: the size of the last dim of the input.
        out_features: the size of the last dim of the output.
        bias: learn an additive bias b of shape (out_features,) (False: none).

    Both start as torch's: W ~ U(±1/√in_features) (kaiming_uniform_ with a = √5), b ~ U(±1/√in_features)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(np.zeros((out_features, in_features), np.float32))
        self.bias = Parameter(np.zeros(out_features, np.float32)) if bias else None
        init.default_(self.weight, self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class _ConvNd(Module):
    """Shared by Conv1d and Conv2d: torch's arguments, weight (out_channels, in_channels/groups, *kernel_size)."""
    nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros"):
        super().__init__()
        tup = _pair if self.nd == 2 else (lambda v: (v,) if isinstance(v, int) else tuple(v))
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{type(self).__name__}: groups={groups} must divide in_channels ({in_channels}) and "
                             f"out_channels ({out_channels})")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{type(self).__name__}: padding_mode must be 'zeros', 'reflect', 'replicate' or "
                             f"'circular', got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = tup(kernel_size), tup(stride)
        self.padding = padding if isinstance(padding, str) else tup(padding)
        self.dilation, self.padding_mode = tup(dilation), padding_mode
        self.weight = Parameter(np.zeros((out_channels, in_channels // groups) + self.kernel_size, np.float32))
        self.bias = Parameter(np.zeros(out_channels, np.float32)) if bias else None
        init.default_(self.weight, self.bias)

    def _conv(self, x, fn):
        if x.ndim != self.nd + 2 or x.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__} expects input (N, {self.in_channels}, "
                             f"{', '.join('HW'[-self.nd:] if self.nd == 2 else 'L')}), got shape {x.shape}")
        padding = self.padding
        if self.padding_mode != "zeros" and not isinstance(padding, str) and any(padding):
            x = F.pad(x, tuple(v for p in reversed(padding) for v in (p, p)), mode=self.padding_mode)
            padding = 0
        return fn(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)

    def extra_repr(self):
        one = (1,) * self.nd
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        s += f", padding={self.padding}" if self.padding != (0,) * self.nd else ""
        s += f", dilation={self.dilation}" if self.dilation != one else ""
        s += f", groups={self.groups}" if self.groups != 1 else ""
        s += f", padding_mode={self.padding_mode}" if self.padding_mode != "zeros" else ""
        return s + (", bias=False" if self.bias is None else "")


class Conv2d(_ConvNd):
    """2-D convolution (F.conv2d) of (N, in_channels, H, W) input, weight of shape (out_channels,
    in_channels/groups, kh, kw), as torch.nn.Conv2d.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: an int or a pair (rows, columns).
        padding: an int or a pair (rows, columns) (both sides), or "same" / "valid" as F.conv2d.
        groups: split the channels into this many groups, convolved separately.
        bias: learn a bias per output channel.
        padding_mode: "zeros" (default), "reflect", "replicate" or "circular" (F.pad before the convolution).

    Weight and bias start as torch's (nn.init.default_)."""
    nd = 2

    def forward(self, x):
        return self._conv(x, F.conv2d)


class Conv1d(_ConvNd):
    """1-D convolution (F.conv1d) of (N, in_channels, L) input, weight of shape (out_channels,
    in_channels/groups, k), as torch.nn.Conv1d.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: an int or a 1-tuple.
        padding: an int or a 1-tuple (both sides), or "same" / "valid" as F.conv1d.
        groups: split the channels into this many groups, convolved separately.
        bias: learn a bias per output channel.
        padding_mode: "zeros" (default), "reflect", "replicate" or "circular" (F.pad before the convolution).

    Weight and bias start as torch's (nn.init.default_)."""
    nd = 1

    def forward(self, x):
        return self._conv(x, F.conv1d)


class ConvTranspose2d(Module):
    """2-D transposed convolution (F.conv_transpose2d, the adjoint of Conv2d's geometry), weight of shape
    (in_channels, out_channels/groups, kh, kw) as torch.nn.ConvTranspose2d.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, padding, output_padding, dilation: an int or a pair, as F.conv_transpose2d.
        groups: split the channels into this many groups.
        bias: learn a bias per output channel."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"ConvTranspose2d: groups={groups} must divide in_channels ({in_channels}) and "
                             f"out_channels ({out_channels})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride, self.padding = _pair(kernel_size), _pair(stride), _pair(padding)
        self.output_padding, self.dilation = _pair(output_padding), _pair(dilation)
        self.weight = Parameter(np.zeros((in_channels, out_channels // groups) + self.kernel_size, np.float32))
        self.bias = Parameter(np.zeros(out_channels, np.float32)) if bias else None
        init.default_(self.weight, self.bias)

    def forward(self, x):
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                  self.groups, self.dilation)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}" +
                (", bias=False" if self.bias is None else ""))


class MaxPool2d(Module):
    """F.max_pool2d as a module: kernel_size, stride (None: the kernel size), padding, dilation (ints or pairs),
    return_indices (also return the maxima's flat indices) and ceil_mode (round the output size up)."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.dilation = kernel_size, stride, padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                            self.return_indices)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output_size (an int or a pair (H, W)), the windows chosen as torch's
    (F.adaptive_avg_pool2d)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AvgPool2d(Module):
    """F.avg_pool2d as a module: kernel_size, stride (None: the kernel size), padding (ints or pairs), and
    count_include_pad (the padding zeros count in each mean)."""

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__()
        self.kernel_size, self.stride, self.padding, self.count_include_pad = kernel_size, stride, padding, \
            count_include_pad

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class _BatchNorm(Module):
    """Batch normalisation, as torch: training normalises with the batch's biased variance and moves the
    running statistics by momentum with the unbiased one (momentum=None: their cumulative average over the
    batches seen, weight 1/num_batches_tracked); eval uses the running statistics. Inside
    nn.frozen_running_stats() / nn.reevaluate() training mode leaves the running statistics alone."""
    dims = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(np.ones(num_features, np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_features, np.float32)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, np.float32)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, np.float32)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))

    def _check(self, x):
        if x.ndim not in self.dims or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}) expects input with {self.dims} dims and "
                             f"{self.num_features} channels in dim 1, got shape {x.shape}")

    def forward(self, x):
        self._check(x)
        training = self.training or not self.track_running_stats
        momentum = self.momentum
        update = self.training and self.track_running_stats and not running_stats_frozen()
        if update:
            self.num_batches_tracked.data = self.num_batches_tracked.data + 1
            if momentum is None:  # a cumulative moving average: batch k moves the statistics by 1/k
                momentum = 1.0 / float(self.num_batches_tracked.data)
        if self.training and not update:  # batch statistics, running ones untouched (nn.frozen_running_stats)
            return F.batch_norm(x, None, None, self.weight, self.bias, True, momentum or 0.0, self.eps)
        rm, rv = (self.running_mean, self.running_var) if self.track_running_stats else (None, None)
        return F.batch_norm(x, rm, rv, self.weight, self.bias, training, momentum, self.eps)

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input over the batch (and length), per channel, as
    torch.nn.BatchNorm1d (see nn.BatchNorm2d for the training / eval behaviour).

    Args:
        num_features: the number of channels C (dim 1).
        eps: added to the variance before the square root.
        momentum: the running statistics' step towards each batch's (None: their cumulative average).
        affine: learn a per-channel scale (weight, ones) and shift (bias, zeros).
        track_running_stats: keep running_mean / running_var buffers for eval (False: always batch statistics).
    """
    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input per channel, as torch.nn.BatchNorm2d: training normalises with
    the batch's biased variance and moves the running statistics by momentum with the unbiased one; eval uses
    the running statistics. Inside nn.frozen_running_stats() / nn.reevaluate() training mode leaves the running
    statistics alone. The training forward is one op with a differentiable backward (ops/norm.py).

    Args:
        num_features: the number of channels C (dim 1).
        eps: added to the variance before the square root.
        momentum: the running statistics' step towards each batch's (None: their cumulative average).
        affine: learn a per-channel scale (weight, ones) and shift (bias, zeros).
        track_running_stats: keep running_mean / running_var buffers for eval (False: always batch statistics).
    """
    dims = (4,)


class Dropout(Module):
    """F.dropout in training mode: each element zeroed with probability p, the rest scaled by 1/(1 - p); the
    identity in eval mode."""

    def __init__(self, p=0.5):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class ReLU(Module):
    """max(x, 0) elementwise (x.relu()); no arguments."""

    def forward(self, x):
        return x.relu()


class Tanh(Module):
    """tanh(x) elementwise; no arguments."""

    def forward(self, x):
        return x.tanh()


class Sigmoid(Module):
    """σ(x) = 1/(1 + e^-x) elementwise; no arguments."""

    def forward(self, x):
        return x.sigmoid()


class Flatten(Module):
    """x.flatten(start_dim, end_dim): by default everything but the batch dim merged into one."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)


class Embedding(Module):
    """A lookup table (F.embedding): integer indices -> rows of weight (num_embeddings, embedding_dim), which
    starts ~ N(0, 1); the padding_idx row (if not None) starts at 0 and gets no gradient."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None):
        super().__init__()
        self.num_embeddings, self.embedding_dim, self.padding_idx = num_embeddings, embedding_dim, padding_idx
        self.weight = Parameter(np.zeros((num_embeddings, embedding_dim), np.float32))
        init.normal_(self.weight)
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def forward(self, idx):
        return F.embedding(idx, self.weight, self.padding_idx)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


class LayerNorm(Module):
    """Normalises over the last len(normalized_shape) dims (F.layer_norm, eps added to the variance); with
    elementwise_affine, a learnt weight (ones) and, if bias, a bias (zeros) of that shape."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, np.float32)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, np.float32)) if elementwise_affine and bias else None

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Module):
    """Normalises each of num_groups groups of the num_channels channels (F.group_norm, eps added to the
    variance); with affine, a learnt weight (ones) and bias (zeros) per channel."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = Parameter(np.ones(num_channels, np.float32)) if affine else None
        self.bias = Parameter(np.zeros(num_channels, np.float32)) if affine else None

    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class Identity(Module):
    """Returns its input; any arguments are accepted and ignored (as torch.nn.Identity)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class _Activation(Module):
    """A module around one F function, its keyword arguments stored as attributes (torch's names)."""
    fn, defaults = None, {}

    def __init__(self, *args, **kwargs):
        super().__init__()
        for (k, default), v in zip(self.defaults.items(), args):
            kwargs.setdefault(k, v)
        for k, default in self.defaults.items():
            setattr(self, k, kwargs.pop(k, default))
        kwargs.pop("inplace", None)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected arguments {sorted(kwargs)}")

    def forward(self, x):
        return type(self).fn(x, **{k: getattr(self, k) for k in self.defaults if k != "inplace"})

    def extra_repr(self):
        return ", ".join(f"{k}={getattr(self, k)}" for k in self.defaults if k != "inplace")


class LeakyReLU(_Activation):
    """F.leaky_relu: x where x > 0, else negative_slope·x (arguments negative_slope=0.01, inplace ignored)."""
    fn, defaults = staticmethod(F.leaky_relu), {"negative_slope": 0.01, "inplace": False}


class GELU(_Activation):
    """F.gelu: x·Φ(x); approximate="tanh" for torch's tanh approximation (argument approximate="none")."""
    fn, defaults = staticmethod(F.gelu), {"approximate": "none"}


class SiLU(_Activation):
    """F.silu: x·σ(x) (argument inplace, ignored)."""
    fn, defaults = staticmethod(F.silu), {"inplace": False}


class ELU(_Activation):
    """F.elu: x where x > 0, else alpha·(e^x - 1) (arguments alpha=1.0, inplace ignored)."""
    fn, defaults = staticmethod(F.elu), {"alpha": 1.0, "inplace": False}


class Softplus(_Activation):
    """F.softplus: log(1 + e^{βx})/β, linear where βx > threshold (arguments beta=1.0, threshold=20.0)."""
    fn, defaults = staticmethod(F.softplus), {"beta": 1.0, "threshold": 20.0}


class LogSigmoid(_Activation):
    """F.logsigmoid: log σ(x); no arguments."""
    fn, defaults = staticmethod(F.logsigmoid), {}


class Softmax(_Activation):
    """F.softmax along dim (argument dim=None: torch's legacy choice, 0 for 0-, 1- and 3-D input, else 1)."""

    fn, defaults = staticmethod(F.softmax), {"dim": None}

    def forward(self, x):
        return F.softmax(x, _implicit_dim(x) if self.dim is None else self.dim)


class LogSoftmax(_Activation):
    """F.log_softmax along dim (argument dim=None: torch's legacy choice, 0 for 0-, 1- and 3-D input, else 1)."""

    fn, defaults = staticmethod(F.log_softmax), {"dim": None}

    def forward(self, x):
        return F.log_softmax(x, _implicit_dim(x) if self.dim is None else self.dim)


def _implicit_dim(x):
    """torch's legacy choice when Softmax is built without dim: 0 for 0-, 1- and 3-D input, else 1."""
    return 0 if x.ndim in (0, 1, 3) else 1


class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none") and not (reduction == "batchmean" and type(self) is KLDivLoss):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """F.mse_loss(input, target): the squared error; reduction: "mean" (default), "sum" or "none"."""

    def forward(self, input, target):
        return F.mse_loss(input, target, self.reduction)


class L1Loss(_Loss):
    """F.l1_loss(input, target): the absolute error; reduction: "mean" (default), "sum" or "none"."""

    def forward(self, input, target):
        return F.l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    """F.smooth_l1_loss(input, target): quadratic below beta, linear above; reduction: "mean" (default), "sum" or
    "none"."""

    def __init__(self, reduction="mean", beta=1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    """F.huber_loss(input, target): quadratic below delta, linear above; reduction: "mean" (default), "sum" or
    "none"."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, self.reduction, self.delta)


class KLDivLoss(_Loss):
    """F.kl_div(input, target) with input = log q (log_target: target given as log p too); reduction: "mean" (default),
    "sum" or "none" or "batchmean" (the sum over the batch size: the true KL divergence)."""

    def __init__(self, reduction="mean", log_target=False):
        super().__init__(reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, self.reduction, self.log_target)


class CrossEntropyLoss(_Loss):
    """F.cross_entropy(input, target): log_softmax over dim 1, then the negative log-likelihood of the target
    classes. weight: per-class weights (C,) or None; ignore_index: a target value that counts for nothing;
    reduction: "mean" (default), "sum" or "none"; label_smoothing: ε mixing in the uniform distribution."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, self.reduction, self.label_smoothing, self.ignore_index)


class NLLLoss(_Loss):
    """F.nll_loss(input, target) on log-probabilities: -input[i, target[i]]. weight: per-class weights (C,) or
    None; ignore_index: a target value that counts for nothing; reduction: "mean" (default), "sum" or "none"."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, self.reduction, self.ignore_index)


class BCELoss(_Loss):
    """F.binary_cross_entropy(input, target) on probabilities; weight: multiplies each element's loss (or None);
    reduction: "mean" (default), "sum" or "none"."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """F.binary_cross_entropy_with_logits(input, target) on logits; weight: multiplies each element's loss (or
    None); pos_weight: the weight of the positive term (or None); reduction: "mean" (default), "sum" or "none"."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)

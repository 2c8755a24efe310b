"""PyTorch's side of the benchmark: the same four architectures, loaded with tinygrad_lr's initial weights, and the
same workloads. The only module of the project that imports torch; only the torch worker imports it.

The learning-rate methods are written out by hand for SGD with one global η (what tinygrad_lr derives by autodiff
of the update map):
  First-order (Baydin et al.):  h = g_t·z_t with z_t = -g_{t-1};  η -= β h;  w -= η g_t
  RT-HPO (z-recursion):         h = g_t·z_t;  η -= β h;  z_{t+1} = z_t - η (H z_t) - g_t  (one HVP);  w -= η g_t
"""
import contextlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import spec

NAME = "torch"

# float32 means float32: no TF32 in cuDNN's convolutions and RNNs or in cuBLAS's GEMMs (CuPy does not use TF32 unless
# CUPY_TF32=1), so that both frameworks do the same arithmetic and the same-weights check holds on a GPU too
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def versions():
    return {"torch": torch.__version__, "numpy": np.__version__}


def set_threads(n):
    torch.set_num_threads(n)


def device_name(device):
    if device == "cpu":
        return "cpu"
    return f"{torch.cuda.get_device_name()} (CUDA {torch.version.cuda})"


def synchronizer(device):
    if device == "cpu":
        return lambda: None
    return torch.cuda.synchronize


# ---- the models, parameter for parameter as tinygrad_lr.models (same state_dict names) ---------------------------
def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


class LSTMClassifier(nn.Module):
    def __init__(self, input_size=28, hidden_size=128, num_classes=10):
        super().__init__()
        self.lstm = nn.LSTM(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


class PadShortcut(nn.Module):
    """ResNet option A: subsample by the stride, zero-pad the new channels on both sides."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.cin, self.cout, self.stride = cin, cout, stride

    def forward(self, x):
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        lo = (self.cout - self.cin) // 2
        return F.pad(x, (0, 0, 0, 0, lo, self.cout - self.cin - lo)) if self.cout != self.cin else x


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = PadShortcut(cin, cout, stride) if stride != 1 or cin != cout else nn.Sequential()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, blocks=(3, 3, 3), widths=(16, 32, 64), num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for i, (n, w) in enumerate(zip(blocks, widths)):
            stage = []
            for j in range(n):
                stage.append(BasicBlock(cin, w, 2 if (i > 0 and j == 0) else 1))
                cin = w
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
        self.fc = nn.Linear(cin, num_classes)
        self.n_stages = len(blocks)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        for i in range(self.n_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(x.mean((2, 3)))


def build(model):
    return {"mlp": mlp, "lenet": lenet5, "lstm": LSTMClassifier, "resnet20": ResNet}[model]()


# ---- the hand-written learning-rate methods -------------------------------------------------------------------
def _dot(a, b):
    return torch.stack([torch.vdot(x.reshape(-1), y.reshape(-1)) for x, y in zip(a, b)]).sum().item()


class FirstOrder:
    """Baydin et al.'s hypergradient descent on SGD, global η: η += β g_t·g_{t-1}."""

    def __init__(self, params, lr, hyper_lr):
        self.params, self.lr, self.hyper_lr, self.prev, self.history = list(params), lr, hyper_lr, None, []

    def step(self, closure):
        loss = closure()
        g = torch.autograd.grad(loss, self.params)
        h = None
        if self.prev is not None:
            h = -_dot(g, self.prev)  # h = g_t·z_t, z_t = ∂w_t/∂η = -g_{t-1}
            self.lr -= self.hyper_lr * h
        with torch.no_grad():
            torch._foreach_add_(self.params, g, alpha=-self.lr)
        self.prev = g
        self.history.append({"lr": self.lr, "hypergrad": h, "loss": loss.item()})
        return loss


class RTHPO:
    """RT-HPO on SGD, global η: z_{t+1} = z_t - η H z_t - g_t (one HVP per step), η -= β g_t·z_t."""

    def __init__(self, params, lr, hyper_lr, double_backward_ctx=contextlib.nullcontext):
        self.params, self.lr, self.hyper_lr, self.z, self.history = list(params), lr, hyper_lr, None, []
        self.ctx = double_backward_ctx

    def step(self, closure):
        with self.ctx():
            loss = closure()
            g = torch.autograd.grad(loss, self.params, create_graph=True)
            h = None
            if self.z is None:  # z_0 = 0: z_1 = -g_0
                self.z = [-gi.detach() for gi in g]
            else:
                h = _dot(g, self.z)
                self.lr -= self.hyper_lr * h
                hz = torch.autograd.grad(g, self.params, self.z)
                with torch.no_grad():
                    torch._foreach_add_(self.z, hz, alpha=-self.lr)
                    torch._foreach_sub_(self.z, g)
        with torch.no_grad():
            torch._foreach_add_(self.params, g, alpha=-self.lr)
        self.history.append({"lr": self.lr, "hypergrad": h, "loss": loss.item()})
        return loss


class Bench:
    """One model on one device, the same interface as tl_impl.Bench."""

    def __init__(self, model, device="cpu", weights=None, batch=spec.BATCH):
        if weights is None:  # only for the memory measurement: the values do not matter there
            weights = {k: v.numpy() for k, v in build(model).state_dict().items()}
        self.model, self.device, self.weights = model, device, weights
        self.net = self._copy()
        named = list(self.net.named_parameters())
        self.names, self.params = [n for n, _ in named], [p for _, p in named]
        self.n_params = int(sum(p.numel() for p in self.params))
        x, y = spec.data(model, batch)
        self.x, self.y = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        v = spec.vectors([(n, tuple(p.shape)) for n, p in named])
        self.v = [torch.from_numpy(v[n]).to(device) for n in self.names]

    def _copy(self, dtype=None):
        net = build(self.model)
        net.load_state_dict({k: torch.from_numpy(np.asarray(a)) for k, a in self.weights.items()}, strict=True)
        return net.to(self.device, dtype).train()

    def _closure(self, net, x=None):
        x = self.x if x is None else x
        return lambda: F.cross_entropy(net(x), self.y)

    def _double_backward_ctx(self):
        """cuDNN's LSTM has no double backward: the HVP and RT-HPO of the LSTM on CUDA run without cuDNN."""
        if self.model == "lstm" and self.device != "cpu":
            return lambda: torch.backends.cudnn.flags(enabled=False)
        return contextlib.nullcontext

    def grad(self):
        return torch.autograd.grad(F.cross_entropy(self.net(self.x), self.y), self.params)

    def hvp(self):
        with self._double_backward_ctx()():
            g = torch.autograd.grad(F.cross_entropy(self.net(self.x), self.y), self.params, create_graph=True)
            return torch.autograd.grad(g, self.params, self.v, allow_unused=True)

    def sgd_step(self):
        net = self._copy()
        opt = torch.optim.SGD(net.parameters(), lr=spec.LR)
        closure = self._closure(net)

        def step():
            opt.zero_grad()
            loss = closure()
            loss.backward()
            opt.step()
            return loss
        return step

    def method(self, kind, lr=spec.LR, hyper_lr=spec.HYPER_LR, dtype=None):
        net = self._copy(dtype)
        h = (FirstOrder(net.parameters(), lr, hyper_lr) if kind == "firstorder" else
             RTHPO(net.parameters(), lr, hyper_lr, self._double_backward_ctx()))
        closure = self._closure(net, self.x if dtype is None else self.x.to(dtype))
        return h, (lambda: h.step(closure))

    def workloads(self):
        return {"grad": self.grad, "hvp": self.hvp, "sgd": self.sgd_step(),
                "firstorder": self.method("firstorder")[1], "rthpo": self.method("rthpo")[1]}

    def check(self):
        with torch.no_grad():
            loss = F.cross_entropy(self.net(self.x), self.y).item()
        out = {"loss": loss, "n_params": self.n_params}
        arrays = {}
        host = lambda t: t.detach().cpu().numpy().astype(np.float32)  # noqa: E731
        for n, g in zip(self.names, self.grad()):
            arrays[f"grad/{n}"] = host(g)
        for n, hv in zip(self.names, self.hvp()):
            arrays[f"hvp/{n}"] = host(hv) if hv is not None else np.zeros(self.weights[n].shape, np.float32)
        for kind in ("firstorder", "rthpo"):
            h, step = self.method(kind, spec.CHECK_LR, spec.CHECK_HYPER_LR, torch.float64)
            for _ in range(spec.CHECK_STEPS):
                step()
            out[kind] = h.history
        return out, arrays


def overhead(device="cpu"):
    a = torch.ones(10, device=device, requires_grad=True)
    b = torch.ones(10, device=device, requires_grad=True)

    def run():
        for _ in range(spec.OVERHEAD_OPS):
            a + b
    return run

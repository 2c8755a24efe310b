"""tinygrad_lr's side of the benchmark, imported by the tinygrad_lr worker only. The bare-NumPy limits run in
this worker too, under the same process set-up (threads, malloc thresholds) as tinygrad_lr itself."""
import numpy as np

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, hyper, optim

from . import spec

NAME = "tinygrad_lr"


def versions():
    return {"tinygrad_lr": getattr(tl, "__version__", "?"), "numpy": np.__version__}


def device_name(device):
    if device == "cpu":
        return "cpu"
    import cupy
    return f"{cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)['name'].decode()} (CuPy {cupy.__version__})"


def synchronizer(device):
    if device == "cpu":
        return lambda: None
    import cupy
    return lambda: cupy.cuda.Device().synchronize()


def build(model):
    from tinygrad_lr.models import MLP, LeNet5, LSTMClassifier, resnet20
    if model == "mlp":
        return MLP([784, 512, 256, 10])
    if model == "lenet":
        return LeNet5()
    if model == "lstm":
        return LSTMClassifier(input_size=28, hidden_size=128)
    if model == "resnet20":
        return resnet20()
    raise KeyError(model)


def _host(t):
    return None if t is None else t.numpy().astype(np.float32, copy=False)


class Bench:
    """One model on one device with its batch, HVP vector and workloads (name -> callable doing one call)."""

    def __init__(self, model, device="cpu", weights=None, batch=spec.BATCH):
        self.model, self.device = model, device
        if weights is None:
            tl.manual_seed(0)
            weights = build(model).state_dict()
        self.weights = weights
        self.net = self._copy()
        self.names = [n for n, _ in self.net.named_parameters()]
        self.params = self.net.parameters()
        self.n_params = int(sum(p.numel() for p in self.params))
        x, y = spec.data(model, batch)
        self.x, self.y = Tensor(x, device=device), Tensor(y, device=device)
        v = spec.vectors([(n, p.shape) for n, p in zip(self.names, self.params)])
        self.v = [Tensor(v[n], device=device) for n in self.names]

    def _copy(self, dtype=None):
        """A fresh network holding the benchmark's initial weights (each timed step gets its own)."""
        net = build(self.model)
        net.load_state_dict(self.weights)
        return net.to(self.device, dtype=dtype)

    def _closure(self, net, x=None):
        x = self.x if x is None else x
        return lambda: F.cross_entropy(net(x), self.y)

    # ---- the workloads ----------------------------------------------------------------------------------------
    def grad(self):
        return tl.grad(F.cross_entropy(self.net(self.x), self.y), self.params)

    def hvp(self):
        return tl.hvp(F.cross_entropy(self.net(self.x), self.y), self.params, self.v)

    def sgd_step(self, lr=spec.LR, momentum=0.0):
        net = self._copy()
        opt = optim.SGD(net.parameters(), lr=lr, momentum=momentum)
        closure = self._closure(net)

        def step():
            opt.zero_grad()
            loss = closure()
            loss.backward()
            opt.step()
            return loss
        return step

    def method(self, kind, lr=spec.LR, hyper_lr=spec.HYPER_LR, dtype=None):
        """A learning-rate method on SGD with one global η; returns (method, step)."""
        net = self._copy(dtype)
        inner = optim.SGD(net.parameters(), lr=lr)
        h = {"firstorder": hyper.FirstOrder, "rthpo": hyper.RTHPO}[kind](inner, hyper_lr=hyper_lr)
        x = self.x if dtype is None else self.x.to(dtype=dtype)
        closure = self._closure(net, x)
        return h, (lambda: h.step(closure))

    def workloads(self):
        w = {"grad": self.grad, "hvp": self.hvp, "sgd": self.sgd_step(),
             "firstorder": self.method("firstorder")[1], "rthpo": self.method("rthpo")[1]}
        if self.device == "cpu":
            w["gemm"] = spec.bare_gemms(self.model, len(self.y.data))
            if self.model == "mlp":
                Ws = [self.weights[f"{i}.weight"] for i in (1, 3, 5)]
                bs = [self.weights[f"{i}.bias"] for i in (1, 3, 5)]
                x, y = self.x.numpy(), self.y.numpy()
                w["numpy"] = lambda: spec.mlp_numpy_step(Ws, bs, x, y)
        if "lossgrad" in spec.EXTRA.get(self.model, ()):
            net = self._copy()
            lg = hyper.LossGrad(optim.SGD(net.parameters(), lr=spec.LR))
            w["lossgrad"] = (lambda c=self._closure(net): lg.step(c))
        if "rthpo_adam" in spec.EXTRA.get(self.model, ()):
            net = self._copy()
            ha = hyper.RTHPO(optim.Adam(net.parameters(), lr=1e-3), hyper_lr=1e-9)
            w["rthpo_adam"] = (lambda c=self._closure(net): ha.step(c))
        return w

    # ---- correctness: what the other framework must reproduce from the same weights -----------------------------
    def check(self):
        loss = F.cross_entropy(self.net(self.x), self.y)
        out = {"loss": float(loss.item()), "n_params": self.n_params}
        arrays = {}
        for n, g in zip(self.names, self.grad()):
            arrays[f"grad/{n}"] = _host(g)
        for n, hv in zip(self.names, self.hvp()):
            arrays[f"hvp/{n}"] = _host(hv) if hv is not None else np.zeros(self.weights[n].shape, np.float32)
        for kind in ("firstorder", "rthpo"):
            h, step = self.method(kind, spec.CHECK_LR, spec.CHECK_HYPER_LR, np.float64)
            for _ in range(spec.CHECK_STEPS):
                step()
            out[kind] = [{"lr": r["lr"], "hypergrad": r["hypergrad"], "loss": r["loss"]} for r in h.history]
        return out, arrays


def overhead(device="cpu"):
    """`spec.OVERHEAD_OPS` adds of two 10-element tensors that record the graph (per-op cost of the engine)."""
    a = Tensor(np.ones(10, np.float32), device=device, requires_grad=True)
    b = Tensor(np.ones(10, np.float32), device=device, requires_grad=True)

    def run():
        for _ in range(spec.OVERHEAD_OPS):
            a + b
    return run

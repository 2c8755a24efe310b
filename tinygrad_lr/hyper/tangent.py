r"""One tangent mechanism for every learning-rate hypergradient.

For the composite state x = (w, s) of all parameters and their optimizer states, the tangent z = dx/dη obeys

    z_{t+1} = mu·A_t z_t + B_t,   A_t = ∂Φ/∂(w, s) (with g = ∇ℓ(w), so dg = H·dw),   B_t = ∂Φ/∂η.

Both terms are one Jacobian-vector product of Φ at (w_t, g_t, s_t, η_t) in the direction
(mu·z_w, mu·H z_w, mu·z_s, 1), pushed forward (tinygrad_lr.jvp) through the graph of whatever Φ the optimizer
defines; an op without a forward rule falls back to the double-VJP trick. H z_w is one Hessian-vector product
of the training loss by double backprop. Nothing here knows which optimizer it is differentiating.

The hypergradient is h_t = ∇E(w_t)·z_t (E: the training loss on the current batch, or a validation loss)
and η_t = η_{t-1} - β·h_t; the step then uses η_t. mu = 0 gives the first-order method (Baydin, Cornish, Martínez
Rubio, Schmidt & Wood 2018, "Online learning rate adaptation with hypergradient descent", arXiv:1703.04782: for
SGD, η += β·g_t·g_{t-1}); mu = 1 is RT-HPO (Majumder, Donini & Chaudhari 2019, "Learning the learning rate for
gradient descent by gradient descent", AutoML workshop at ICML 2019), after the forward-mode hypergradient of
Franceschi, Donini, Frasconi & Pontil (2017), "Forward and reverse gradient-based hyperparameter optimization",
arXiv:1703.01785.
"""
import numpy as np

from ..autograd import grad, jvp
from ..backend import device_of, xp
from ..nn import frozen_running_stats
from ..tensor import Tensor
from .base import LRMethod


def _jvps(outs, ins, directions):
    """For each direction (a dict input key -> tangent Tensor, missing = 0), the JVP of every output of Φ, pushed
    forward (tinygrad_lr.jvp) through the graph that apply_phi recorded. Returns one dict (output key -> Tensor)
    per direction."""
    out_keys, in_keys = list(outs), list(ins)
    res = []
    for d in directions:
        jv = jvp([outs[k] for k in out_keys], [ins[k] for k in in_keys], [d.get(k) for k in in_keys])
        res.append({k: j.detach() for k, j in zip(out_keys, jv)})
    return res


def _dot(a, b):
    return float(xp(device_of(a)).vdot(a.reshape(-1), b.reshape(-1)))


class Hypergradient(LRMethod):
    """η adapted online by its hypergradient (see the module docstring).

    Drive it like an optimizer: `loss = h.step(closure)` with closure() returning the training loss Tensor of
    the current batch. `val_closure()` (optional) returns a validation loss: then E is the validation loss
    ("Val"), else the training loss ("Train"). granularity: "global" (one η), "tensor" (one η per parameter
    tensor; with mu > 0 that is one tangent, hence one HVP, per tensor), "element" (one η per entry,
    first-order only; assumes an elementwise Φ, true of every optimizer in tinygrad_lr.optim).
    """

    def __init__(self, optimizer, hyper_lr, mu=0.0, granularity="global", val_closure=None, lr_bounds=None):
        super().__init__(optimizer, granularity, lr_bounds)
        if not 0.0 <= mu <= 1.0:
            raise ValueError(f"mu must be in [0, 1], got {mu}")
        if granularity == "element" and mu > 0:
            n = sum(p.numel() for p in self.params)
            raise ValueError(f"granularity 'element' is first-order only (mu = 0): with mu = {mu} every one of the "
                             f"{n} learning rates would need its own tangent (a {n} x {n} Jacobian); use "
                             "granularity 'global' or 'tensor'")
        if hyper_lr < 0:
            raise ValueError(f"hyper_lr must be >= 0, got {hyper_lr}")
        self.hyper_lr, self.mu, self.val_closure = hyper_lr, float(mu), val_closure
        self.n_tangents = len(self.params) if (granularity == "tensor" and mu > 0) else 1
        self.z = None  # per tangent: {(param index, None | state key): Tensor}

    def hypergradient(self, gE):
        """h = ∇E·z, reduced per η: a float (global), a list of floats (tensor), a list of arrays (element)."""
        if self.granularity == "element":
            dots = [[e.data * z[(i, None)].data for i, e in enumerate(gE)] for z in self.z]
        else:
            dots = [[_dot(e.data, z[(i, None)].data) for i, e in enumerate(gE)] for z in self.z]
        if self.granularity == "global":
            return float(sum(dots[0]))
        if self.granularity == "element":
            return dots[0]
        if self.n_tangents == 1:  # mu = 0: η_k only moves block k, so block k's dot is its hypergradient
            return [float(d) for d in dots[0]]
        return [float(sum(d)) for d in dots]

    def step(self, closure):
        loss, grads = self.loss_and_grads(closure, create_graph=self.mu > 0 or self.optimizer.needs_graph)
        if grads is None:
            return loss
        h = None
        if self.z is not None:
            gE = grads if self.val_closure is None else self.grads_of(self._val_loss())
            h = self.hypergradient(gE)
            self._move_eta([self.hyper_lr * x for x in h] if isinstance(h, list) else self.hyper_lr * h)
        self.optimizer.prepare(self.params, grads)
        self._tangent_step(grads)
        self.record(loss, h)
        self.t += 1
        return loss

    def _val_loss(self):
        """E from val_closure(), with BatchNorm's running statistics frozen: a validation loss must not move them."""
        with frozen_running_stats():
            return self.loss_of(self.val_closure, "val_closure")

    def _tangent_step(self, grads):
        """One evaluation of Φ takes the step (w, s) ← Φ(w, g, s, η) and, by JVPs through its graph, gives the
        new tangents z."""
        n_par = len(self.params)
        first = self.z is None or self.mu == 0  # then z's direction is zero: only η varies
        # H z_w (one HVP per tangent) at the weights the gradients were taken at, i.e. before the step
        hzs = [] if first else [grad(grads, self.params, [z[(i, None)] for i in range(n_par)], retain_graph=True,
                                     allow_unused=True) for z in self.z]
        etas = [self.eta_of(0, requires_grad=True)] * n_par if self.granularity == "global" \
            else [self.eta_of(i, requires_grad=True) for i in range(n_par)]
        record = self.optimizer.apply_phi(grads, lrs=etas, graph=True, leaves=not first)
        # Φ's inputs and outputs by key: ("eta", n) per distinct η; ("w", i), ("g", i), ("s", i, k); (i, None) = w'_i
        # and (i, k) = s'_i[k]
        ins = {("eta", n): e for n, e in enumerate({id(e): e for e in etas}.values())}
        outs = {}
        for i, ((w, g, s), (w2, s2)) in record.items():
            outs[(i, None)] = w2
            outs.update({(i, k): v for k, v in s2.items() if isinstance(v, Tensor)})
            if not first:
                ins[("w", i)], ins[("g", i)] = w, g
                ins.update({("s", i, k): v for k, v in s.items() if isinstance(v, Tensor) and v.requires_grad})
        eta_keys = [k for k in ins if k[0] == "eta"]
        directions = []
        for t in range(self.n_tangents):
            # B_t: η moves by 1 (all η at once, except per-tensor RT-HPO: one tangent per η)
            d = {k: Tensor.ones_like(ins[k]) for n, k in enumerate(eta_keys) if self.n_tangents == 1 or n == t}
            if not first:  # mu·A_t z_t: w moves by z_w, g by H z_w, the state by z_s
                for (i, key), zi in self.z[t].items():
                    d[("w", i) if key is None else ("s", i, key)] = self.mu * zi
                d.update({("g", i): self.mu * h.detach() for i, h in enumerate(hzs[t]) if h is not None})
            directions.append(d)
        new_z = _jvps(outs, ins, directions)
        # with mu = 0 z is rebuilt from scratch every step and h is checked before use: no need to look
        if self.mu == 0 or all(self.finite(*z.values()) for z in new_z):
            self.z = new_z
        else:  # never let a non-finite tangent poison later hypergradients: restart it
            self.skipped += 1
            self.z = [{k: Tensor.zeros_like(v) for k, v in z.items()} for z in new_z]

    def extra_state(self):
        if self.z is None:
            return {"z": None}
        return {"z": [{f"{i}/{'w' if k is None else k}": v.numpy().copy() for (i, k), v in z.items()}
                      for z in self.z]}

    def check_extra_state(self, state):
        zs = state.get("z")
        if zs is None:
            return
        if len(zs) != self.n_tangents:
            raise ValueError(f"load_state_dict: {len(zs)} tangents in the state dict, {self.n_tangents} here")
        for zd in zs:
            for name, arr in zd.items():
                i, _, k = name.partition("/")
                if not i.isdigit() or int(i) >= len(self.params) or not k:
                    raise ValueError(f"load_state_dict: tangent entry {name!r} names no parameter of the "
                                     f"{len(self.params)} here")
                if k == "w" and np.shape(arr) != self.params[int(i)].shape:
                    raise ValueError(f"load_state_dict: tangent of parameter {i} has shape {np.shape(arr)}, the "
                                     f"parameter {self.params[int(i)].shape}")

    def load_extra_state(self, state):
        if state.get("z") is None:
            self.z = None
            return
        self.z = []
        for zd in state["z"]:
            z = {}
            for name, arr in zd.items():
                i, k = name.split("/", 1)
                p = self.params[int(i)]
                z[(int(i), None if k == "w" else k)] = Tensor(arr, device=p.device, dtype=p.dtype)
            self.z.append(z)


class FirstOrder(Hypergradient):
    """mu = 0: z_{t+1} = B_t = ∂Φ/∂η. With E the training loss this is Baydin et al.'s hypergradient descent
    (for SGD: η_t = η_{t-1} + β·g_t·g_{t-1}; for Adam: AdamHD); with val_closure, First-order (Val)."""

    def __init__(self, optimizer, hyper_lr, granularity="global", val_closure=None, lr_bounds=None):
        super().__init__(optimizer, hyper_lr, 0.0, granularity, val_closure, lr_bounds)


class RTHPO(Hypergradient):
    """mu = 1: the full tangent recursion z_{t+1} = A_t z_t + B_t, one HVP per step (RT-HPO, Majumder, Donini &
    Chaudhari 2019)."""

    def __init__(self, optimizer, hyper_lr, granularity="global", val_closure=None, lr_bounds=None):
        super().__init__(optimizer, hyper_lr, 1.0, granularity, val_closure, lr_bounds)


"""Optimizer base: every optimizer is one pure update map in Tensor ops,

    (w', s') = Φ(w, g, s, η)        w: a parameter, g: its gradient, s: its state (dict of Tensors), η: lr

`step()` runs Φ under no_grad and writes w' into the parameter. The learning-rate methods of
`tinygrad_lr.hyper` run the very same Φ with the graph on and differentiate it (tangents, hypergradients,
unrolled runs), so an optimizer only ever states its update rule once.
"""
import numbers

import numpy as np

from ..autograd import enable_grad, no_grad
from ..tensor import Tensor


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}  # parameter -> {"step": int, name: Tensor}
        params = list(params) if not isinstance(params, Tensor) else [params]
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for group in params if isinstance(params[0], dict) else [{"params": params}]:
            self.add_param_group(group)

    # ---- to define in subclasses ---------------------------------------------------------------------------
    def init_state(self, w, group):
        """The state s_0 of one parameter: a dict of Tensors (empty for plain SGD)."""
        return {}

    def update(self, w, g, state, lr, group, step):
        """Φ: return (w', state'), written in Tensor ops and without in-place changes; `step` counts from 1."""
        raise NotImplementedError

    def check_group(self, group):
        """Raise ValueError for a bad hyper-parameter (called for every param group)."""

    needs_graph = False  # True: prepare() needs the gradients built with create_graph=True (e.g. for HVPs)

    def prepare(self, params, grads):
        """Called with the current gradients before Φ runs (by step() and by the hyper wrappers): a hook for
        optimizers that need more than g, e.g. a Hessian-diagonal estimate, stored in their state."""

    # ---- shared machinery ----------------------------------------------------------------------------------
    def add_param_group(self, group):
        group = dict(group)
        ps = group["params"]
        group["params"] = [ps] if isinstance(ps, Tensor) else list(ps)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"{type(self).__name__} got a tensor of shape {p.shape} that does not require "
                                 "grad: it would never be updated")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__} can only optimize leaf tensors (shape {p.shape})")
            if id(p) in seen:
                raise ValueError("a parameter appears in more than one parameter group")
            seen.add(id(p))
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        _check_nonneg(group, "lr")
        self.check_group(group)
        group.setdefault("initial_lr", group["lr"])
        self.param_groups.append(group)

    def get_state(self, p, group):
        if p not in self.state:
            st = self.init_state(p.detach(), group)
            st["step"] = 0
            self.state[p] = st
        return self.state[p]

    def phi(self, w, g, state, lr, group):
        """Φ with the step count handled here: returns (w', state') with state'["step"] = state["step"] + 1."""
        t = state.get("step", 0) + 1
        w2, s2 = self.update(w, g, {k: v for k, v in state.items() if k != "step"}, lr, group, t)
        s2 = dict(s2)
        s2["step"] = t
        return w2, s2

    def params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def step(self, closure=None):
        """One update of every parameter that has a .grad; `closure` re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    w2, s2 = self.phi(p.detach(), p.grad.detach(), self.get_state(p, group), group["lr"], group)
                    p.data = w2.data.astype(p.dtype, copy=False)
                    self.state[p] = s2
        return loss

    def zero_grad(self, set_to_none=True):
        for p in self.params():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad = Tensor.zeros_like(p.grad)

    # ---- checkpoints -----------------------------------------------------------------------------------------
    def state_dict(self):
        """{'type', 'state': {param index: {name: array | int}}, 'param_groups': [{..., 'params': [indices]}]}
        with NumPy arrays only (no pickle needed)."""
        index = {id(p): i for i, p in enumerate(self.params())}
        state = {}
        for p, st in self.state.items():
            state[index[id(p)]] = {k: (v.numpy().copy() if isinstance(v, Tensor) else v) for k, v in st.items()}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        return {"type": type(self).__name__, "state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        name = state_dict.get("type")
        if name is not None and name != type(self).__name__:
            raise ValueError(f"load_state_dict: this is a {type(self).__name__} but the state dict is from a {name}")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: {len(groups)} param groups in the state dict, "
                             f"{len(self.param_groups)} in the optimizer")
        params = self.params()
        for mine, theirs in zip(self.param_groups, groups):
            if len(mine["params"]) != len(theirs["params"]):
                raise ValueError(f"load_state_dict: a param group has {len(theirs['params'])} parameters in the "
                                 f"state dict and {len(mine['params'])} in the optimizer")
        self.state = {}
        for i, st in state_dict["state"].items():
            p = params[int(i)]
            new = {}
            for k, v in st.items():
                if k == "step":
                    new[k] = int(v)
                    continue
                arr = np.asarray(v)
                if arr.shape != p.shape and arr.ndim:
                    raise ValueError(f"load_state_dict: state {k!r} of parameter {i} has shape {arr.shape}, "
                                     f"the parameter has shape {p.shape}")
                new[k] = Tensor(arr.astype(p.dtype), device=p.device)
            self.state[p] = new
        for mine, theirs in zip(self.param_groups, groups):
            for k, v in theirs.items():
                if k != "params":
                    mine[k] = v

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k not in ("params", "initial_lr")]
        return "\n".join(lines + [")"])


def _check_nonneg(group, *names):
    for n in names:
        v = group[n]
        if isinstance(v, numbers.Number) and (v < 0 or v != v):
            raise ValueError(f"invalid {n}: {v} (must be >= 0)")


def _check_betas(group, name="betas"):
    for i, b in enumerate(group[name] if isinstance(group[name], (tuple, list)) else [group[name]]):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"invalid {name}[{i}]: {b} (must be in [0, 1))" if isinstance(group[name], (tuple, list))
                             else f"invalid {name}: {b} (must be in [0, 1))")

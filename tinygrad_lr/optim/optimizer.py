"""Optimizer base: every optimizer is one pure update map in Tensor ops,

    (w', s') = Φ(w, g, s, η)        w: a parameter, g: its gradient, s: its state (dict of Tensors), η: lr

written once, as the method `phi`. An optimizer whose update couples the parameters of a group (the
learning-rate-free methods: D-Adaptation's d, DoG's r̄ are sums or maxima over the whole group) writes the group
map instead,

    (W', S', c') = Φ_group(W, G, S, c, η)      W, G, S: lists over the group's parameters, c: the group's state

as the method `phi_group` (whose default applies `phi` to each parameter). `apply_phi` is the one place where Φ
is applied and its result committed (w ← w', s ← s', c ← c', step ← step + 1): `step()` calls it under no_grad;
the learning-rate methods of `tinygrad_lr.hyper` call it with the graph on and differentiate the very same Φ
(tangents, hypergradients), so an optimizer only ever states its update rule once.
"""
import numbers

import numpy as np

from ..autograd import enable_grad, no_grad
from ..tensor import Tensor
from .guards import Guard


class Optimizer:
    """Base class of the optimizers, with torch.optim.Optimizer's interface (param_groups, state, step(closure),
    zero_grad, state_dict / load_state_dict). A subclass states its update once, as `phi` (or `phi_group`), plus
    `init_state`; see the module docstring.

    Args:
        params: the parameters to optimize: an iterable of leaf Tensors that require grad, or of param groups
            (dicts with "params" and per-group hyper-parameters overriding the defaults), as torch.
        defaults: the hyper-parameters (lr, ...) a param group takes unless it sets its own; subclasses pass
            their constructor's arguments here."""

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
        """The state s_0 of one parameter w (detached) of param group `group`: a dict of Tensors (empty for plain
        SGD)."""
        return {}

    def phi(self, w, g, state, lr, group, step):
        """Φ: return (w', state'), written in Tensor ops and without in-place changes. `w` is the parameter, `g` its
        gradient, `state` holds the Tensors of init_state, `lr` is a float or a Tensor (the hyper methods make it
        a graph leaf), `group` the param group (its hyper-parameters, possibly Tensors too), `step` counts from 1."""
        raise NotImplementedError

    def init_group_state(self, group):
        """The state c_0 shared by a param group (d, r̄, G, ...): a dict of 0-d Tensors; empty by default."""
        return {}

    def phi_group(self, ws, gs, states, gstate, lrs, group, steps, loss=None):
        """Φ for a whole param group: return (ws', states', gstate'), in Tensor ops without in-place changes.
        ws, gs, states, lrs, steps: one entry per parameter of the group that has a gradient; gstate: the group's
        state (init_group_state); loss: the training loss at w (a 0-d Tensor, constant) when step() got a closure,
        else None (optimizers that need it set `needs_loss`). The default applies phi to each parameter."""
        new = [self.phi(w, g, s, lr, group, t) for w, g, s, lr, t in zip(ws, gs, states, lrs, steps)]
        return [n[0] for n in new], [n[1] for n in new], gstate

    needs_loss = False  # True: Φ uses the loss value (Polyak step sizes, L4): step(closure) is required

    def check_group(self, group):
        """Raise ValueError for a bad hyper-parameter of `group` (called for every param group)."""

    def state_shape(self, name, p, group):
        """The shape of state entry `name` of parameter p in param group `group` (checked by load_state_dict; 0-d
        entries always pass): p's shape unless an optimizer keeps a differently shaped entry (Prodigy's
        slice_p)."""
        return p.shape

    needs_graph = False  # True: prepare() needs the gradients built with create_graph=True (e.g. for HVPs)

    def prepare(self, params, grads):
        """Called with the current gradients before Φ runs (by step() and by the hyper wrappers): a hook for
        optimizers that need more than g, e.g. a Hessian-diagonal estimate, stored in their state. params: the
        parameters (self.params()); grads: their gradients, in the same order."""

    # ---- shared machinery ----------------------------------------------------------------------------------
    def add_param_group(self, group):
        """Add a param group: `group` is a dict with "params" (a Tensor or an iterable of leaf Tensors that
        require grad, in no other group) and any hyper-parameters overriding the defaults; it is checked
        (check_group) and its "initial_lr" recorded, as torch."""
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
        check_nonneg(group, "lr")
        self.check_group(group)
        group.setdefault("initial_lr", group["lr"])
        self.param_groups.append(group)

    def set_guard(self, name, bounds=None, max_growth=None):
        """Safeguards for the group-state scalar `name` (D-Adaptation's "d", DoG's "rbar", ...), applied to its
        committed value at every step (tinygrad_lr.optim.guards): bounds (low, high), a cap on its growth per step
        (new <= max_growth·old where old > 0), refusal of a non-finite value, a warning if it changes sign."""
        probe = self.init_group_state(self.param_groups[0])
        if name not in probe:
            raise ValueError(f"set_guard: {type(self).__name__} has no group-state quantity {name!r}; it has "
                             f"{sorted(probe)}")
        if not hasattr(self, "guards"):
            self.guards = {}
        self.guards[name] = Guard(name, bounds, max_growth)

    def adapted(self):
        """What this optimizer adapts by itself, as plain floats for logs and plots: every scalar of its group
        states (D-Adaptation's d, DoG's r̄, ...), named "<name>" for one param group and "<name>/<k>" for several;
        empty for optimizers that adapt nothing. The learning-rate methods of tinygrad_lr.hyper add η and θ."""
        gst = getattr(self, "group_state", None) or {}
        many = len(self.param_groups) > 1
        out = {}
        for k in sorted(gst):
            for n, v in gst[k].items():
                if isinstance(v, Tensor) and v.data.size == 1 and v.dtype.kind == "f":
                    out[f"{n}/{k}" if many else n] = float(v.item())
                elif isinstance(v, float):  # (an int is a counter, not an adapted quantity)
                    out[f"{n}/{k}" if many else n] = v
        return out

    def _guarded(self, name, old, new):
        """A group-state value to commit, through its guard when set_guard gave it one."""
        new = new.detach() if isinstance(new, Tensor) else new
        guard = getattr(self, "guards", {}).get(name)
        if guard is None or not isinstance(new, Tensor):
            return new
        value = guard(None if old is None else old.data, new.data, f" in {type(self).__name__}")
        return new if value is new.data else Tensor.wrap(value, new.device)

    def get_group_state(self, k):
        """The state of param group k (created by init_group_state on first use)."""
        gst = getattr(self, "group_state", None)
        if gst is None:
            gst = self.group_state = {}
        if k not in gst:
            gst[k] = dict(self.init_group_state(self.param_groups[k]))
        return gst[k]

    def get_state(self, p, group):
        """The state of parameter p (a dict with "step" and the entries of init_state(p, group)), created on
        first use."""
        if p not in self.state:
            st = self.init_state(p.detach(), group)
            st["step"] = 0
            self.state[p] = st
        return self.state[p]

    def params(self):
        """Every parameter, in param-group order (the indices state_dict uses)."""
        return [p for g in self.param_groups for p in g["params"]]

    def apply_phi(self, grads=None, lrs=None, graph=False, leaves=True, loss=None, hypers=None):
        """Apply Φ to every param group and commit: w ← w', s ← s', c ← c', step ← step + 1 (the only place they
        change).

        grads: one gradient per parameter of self.params() (default: each parameter's .grad); parameters without
        one are skipped. lrs: one η per parameter, a float or a Tensor (default: its group's lr). hypers: one dict
        per parameter of other hyper-parameter values that replace its group's (floats or Tensors: "momentum",
        "beta1" and "beta2" for the entries of "betas", ...; see group_view); parameters of one group share one
        dict unless the optimizer's Φ is per parameter. loss: the loss at the current weights, for optimizers
        that use it (needs_loss).
        graph=True evaluates Φ with the graph on and returns {i: ((w, g, s), (w', s'))} per parameter index i,
        plus {("group", k): (c, c')} for each param group k with a state, so that the caller can differentiate Φ
        around the step it just took (hyper/tangent.py); w, g, and the floating entries of s and c are fresh
        leaves (requires_grad) unless leaves=False (then only a Tensor lr carries the graph). Otherwise Φ runs
        under no_grad.
        """
        params = self.params()
        grads = [p.grad for p in params] if grads is None else list(grads)
        if self.needs_loss and loss is None:
            raise ValueError(f"{type(self).__name__} uses the loss value: call step(closure), with a closure that "
                             "returns the loss")
        leaf = graph and leaves

        def fresh(v):
            return v.detach().requires_grad_(leaf and v.dtype.kind == "f") if isinstance(v, Tensor) else v
        loss = None if loss is None else (loss.detach() if isinstance(loss, Tensor) else loss)
        record, i0 = {}, 0
        with enable_grad() if graph else no_grad():
            for k, group in enumerate(self.param_groups):
                idx = [i0 + j for j in range(len(group["params"])) if grads[i0 + j] is not None]
                i0 += len(group["params"])
                if not idx:
                    continue
                views = [group] * len(idx) if hypers is None else [group_view(group, hypers[i]) for i in idx]
                sts = [self.get_state(params[i], v) for i, v in zip(idx, views)]
                ws = [params[i].detach().requires_grad_(leaf) for i in idx]
                gs = [grads[i].detach().requires_grad_(leaf) for i in idx]
                ss = [{n: fresh(v) for n, v in st.items() if n != "step"} for st in sts]
                c = {n: fresh(v) for n, v in self.get_group_state(k).items()}
                etas = [group["lr"] if lrs is None else lrs[i] for i in idx]
                steps = [st["step"] + 1 for st in sts]
                if hypers is None or all(hypers[i] is hypers[idx[0]] for i in idx):
                    ws2, ss2, c2 = self.phi_group(ws, gs, ss, c, etas, views[0], steps, loss)
                elif type(self).phi_group is Optimizer.phi_group:  # per-parameter values: Φ is per parameter
                    new = [self.phi(*a) for a in zip(ws, gs, ss, etas, views, steps)]
                    ws2, ss2, c2 = [n[0] for n in new], [n[1] for n in new], c
                else:
                    raise ValueError(f"{type(self).__name__} couples the parameters of a group, so their "
                                     "hyper-parameters must be shared: adapt them per group, not per tensor")
                for i, st, w, g, s, w2, s2 in zip(idx, sts, ws, gs, ss, ws2, ss2):
                    if graph:
                        record[i] = ((w, g, s), (w2, s2))
                    p = params[i]
                    p.data = w2.data.astype(p.dtype, copy=False)
                    self.state[p] = {"step": st["step"] + 1, **{n: v.detach() if isinstance(v, Tensor) else v
                                                                for n, v in s2.items()}}
                if graph and (c or c2):
                    record[("group", k)] = (c, c2)
                self.group_state[k] = {n: self._guarded(n, c.get(n), v) for n, v in c2.items()}
        return record

    def step(self, closure=None):
        """One update of every parameter that has a .grad; `closure` re-evaluates and returns the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self.apply_phi(loss=loss)
        return loss

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's .grad: to None (set_to_none=True, as torch's default) or to zeros."""
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
        out = {"type": type(self).__name__, "state": state, "param_groups": groups}
        gst = getattr(self, "group_state", None) or {}
        if any(gst.values()):
            out["group_state"] = {k: {n: (v.numpy().copy() if isinstance(v, Tensor) else v) for n, v in c.items()}
                                  for k, c in gst.items()}
        return out

    def load_state_dict(self, state_dict):
        """Restore state_dict(): everything is checked first and only then committed, so a bad state dict raises
        and leaves the optimizer as it was."""
        self._commit_load(*self._prepare_load(state_dict))

    def _prepare_load(self, state_dict):
        """(new state, new group values), checked against this optimizer; nothing is changed yet."""
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict or "state" not in state_dict:
            raise ValueError("load_state_dict: expected a dict with 'state' and 'param_groups' (from state_dict()), "
                             f"got {type(state_dict).__name__}"
                             + (f" with keys {sorted(state_dict)}" if isinstance(state_dict, dict) else ""))
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
        state = {}
        group_of = {id(q): g for g in self.param_groups for q in g["params"]}
        for i, st in state_dict["state"].items():
            try:
                p = params[int(i)]
            except (ValueError, IndexError):
                raise ValueError(f"load_state_dict: state for parameter {i!r}, but the optimizer has "
                                 f"{len(params)} parameters") from None
            new = {}
            for k, v in st.items():
                if k == "step":
                    new[k] = int(v)
                    continue
                arr = np.asarray(v)
                shape = tuple(self.state_shape(k, p, group_of[id(p)]))
                if arr.shape != shape and arr.ndim:
                    raise ValueError(f"load_state_dict: state {k!r} of parameter {i} has shape {arr.shape}, "
                                     + (f"the parameter has shape {p.shape}" if shape == tuple(p.shape)
                                        else f"expected {shape}"))
                if arr.dtype.kind not in "biuf":
                    raise ValueError(f"load_state_dict: state {k!r} of parameter {i} is not numeric ({arr.dtype})")
                new[k] = Tensor(arr.astype(p.dtype), device=p.device)
            state[p] = new
        values = [{k: v for k, v in theirs.items() if k != "params"} for theirs in groups]
        for v in values:
            check_nonneg({"lr": v.get("lr", 0)}, "lr")
        gstate = {}
        dev, dt = params[0].device, params[0].dtype
        for k, c in (state_dict.get("group_state") or {}).items():
            if not (isinstance(k, (int, np.integer)) or str(k).isdigit()) or int(k) >= len(self.param_groups):
                raise ValueError(f"load_state_dict: group state for param group {k!r}, but the optimizer has "
                                 f"{len(self.param_groups)} groups")
            new = {}
            for n, v in c.items():
                arr = np.asarray(v)
                if arr.dtype.kind not in "biuf":
                    raise ValueError(f"load_state_dict: group state {n!r} of group {k} is not numeric ({arr.dtype})")
                new[n] = Tensor(arr.astype(dt), device=dev) if arr.dtype.kind == "f" else v
            gstate[int(k)] = new
        return state, values, gstate

    def _commit_load(self, state, values, gstate=None):
        self.state = state
        for mine, v in zip(self.param_groups, values):
            mine.update(v)
        self.group_state = dict(gstate or {})

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(g.items()) if k not in ("params", "initial_lr")]
        return "\n".join(lines + [")"])


def off(v):
    """Whether a hyper-parameter is switched off: the number 0. A Tensor (a value a learning-rate method is
    differentiating) is always on, so Φ keeps the term whose derivative is wanted."""
    return isinstance(v, numbers.Number) and v == 0


BETAS = {"beta1": 0, "beta2": 1, "beta3": 2}  # hyper-parameter names for the entries of a group's "betas"


def has_hyper(group, name):
    """Whether the param group has the hyper-parameter (β1, β2: an entry of "betas")."""
    return name in group or (name in BETAS and isinstance(group.get("betas"), (tuple, list))
                             and len(group["betas"]) > BETAS[name])


def get_hyper(group, name):
    return group["betas"][BETAS[name]] if name in BETAS and name not in group else group[name]


def set_hyper(group, name, value):
    """group[name] = value, in place (β1, β2: a new "betas" tuple)."""
    if name in BETAS and name not in group:
        betas = list(group["betas"])
        betas[BETAS[name]] = value
        group["betas"] = tuple(betas)
    else:
        group[name] = value


def group_view(group, values):
    """The param group with some hyper-parameters replaced (values: name -> float or Tensor; "beta1", "beta2"
    replace entries of "betas"), for one evaluation of Φ. The group itself is not changed."""
    if not values:
        return group
    view = dict(group)
    for name, v in values.items():
        set_hyper(view, name, v)
    return view


def check_nonneg(group, *names):
    for n in names:
        v = group[n]
        if isinstance(v, numbers.Number) and (v < 0 or v != v):
            raise ValueError(f"invalid {n}: {v} (must be >= 0)")


def check_betas(group, name="betas"):
    for i, b in enumerate(group[name] if isinstance(group[name], (tuple, list)) else [group[name]]):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"invalid {name}[{i}]: {b} (must be in [0, 1))" if isinstance(group[name], (tuple, list))
                             else f"invalid {name}: {b} (must be in [0, 1))")

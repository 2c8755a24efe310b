"""Safeguards for adapted quantities: one mechanism for every method that adapts a step size or a hyper-parameter.

A `Guard` watches one adapted quantity — a learning-rate method's η or θ (tinygrad_lr.hyper), or a scalar of an
optimizer's group state (D-Adaptation's d, DoG's r̄, Mechanic's s, ...) — and is applied where its new value is
committed:

- non-finite: a new value with a NaN or inf entry is refused, the old one kept, and the refusal counted
  (`skipped`);
- growth cap: where the old value is > 0 the new one is at most `max_growth` times it (Prodigy's growth_rate, for
  any quantity);
- bounds `(low, high)`, either may be None: the value is clipped into them;
- sign: a RuntimeWarning, once, the first time the value changes sign (a negative step size climbs the loss).

Values are Python floats or arrays (one entry per coordinate). The guard acts on the committed value, outside
the graph a learning-rate method differentiates: while a guard is active (clipping, capping) the tangent is the
one of the unguarded map, as with any projection.
"""
import math
import numbers
import warnings

import numpy as np

from ..backend import device_of, to_host, xp


def check_bounds(bounds, name="lr"):
    """bounds as a (low, high) pair of floats or None, or a ValueError saying what is wrong with it."""
    if bounds is None:
        return None
    what = "lr_bounds" if name == "lr" else f"bounds[{name!r}]"
    if not isinstance(bounds, (tuple, list)) or len(bounds) != 2:
        raise ValueError(f"{what} must be a pair (low, high), each a number or None, e.g. (0, None) to keep "
                         f"{'η' if name == 'lr' else name} >= 0; got {bounds!r}")
    out = []
    for side, b in zip(("lower", "upper"), bounds):
        if b is not None and (isinstance(b, bool) or not isinstance(b, numbers.Real) or math.isnan(b)):
            raise ValueError(f"{what}: the {side} bound must be a number or None, got {b!r}")
        out.append(None if b is None else float(b))
    lo, hi = out
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"{what}: lower bound {lo} is above upper bound {hi}")
    return tuple(out)


class Guard:
    """The safeguards of one adapted quantity (see the module docstring). `hint` ends the sign-change warning
    (what to do about it)."""

    def __init__(self, name, bounds=None, max_growth=None, warn_sign=True, hint=None):
        self.name, self.bounds, self.warn_sign = name, check_bounds(bounds, name), warn_sign
        if max_growth is not None and (isinstance(max_growth, bool) or not isinstance(max_growth, numbers.Real)
                                       or not max_growth >= 1.0):
            raise ValueError(f"max_growth of {name} must be a number >= 1 (or None), got {max_growth!r}")
        self.max_growth = None if max_growth is None else float(max_growth)
        self.hint = hint or (f"pass bounds {{{name!r}: (0, None)}} to keep it >= 0")
        self.skipped, self.warned = 0, False

    def clip(self, v):
        """v clipped into the bounds (a float stays a float, an array an array of its dtype)."""
        if self.bounds is None or self.bounds == (None, None):
            return v
        lo, hi = self.bounds
        if isinstance(v, numbers.Real):
            return min(max(float(v), -math.inf if lo is None else lo), math.inf if hi is None else hi)
        return _xp(v).clip(v, lo, hi).astype(v.dtype, copy=False)

    def __call__(self, old, new, where=""):
        """The value to commit in place of `new` (old: the current value, or None at the start)."""
        if not _finite(new):
            self.skipped += 1
            return old
        if self.max_growth is not None and old is not None:
            if isinstance(new, numbers.Real):
                new = min(float(new), old * self.max_growth) if old > 0 else new
            else:
                m = _xp(new)
                new = m.where(old > 0, m.minimum(new, old * self.max_growth), new).astype(new.dtype, copy=False)
        new = self.clip(new)
        if self.warn_sign and not self.warned and old is not None and bool(np.any(_host(old) * _host(new) < 0)):
            self.warned = True
            lo, hi = float(np.min(_host(new))), float(np.max(_host(new)))
            warnings.warn(f"{self.name} went through 0{where} (now {lo:.4g}" + (f" to {hi:.4g}" if hi != lo else "")
                          + f"); a negative step size climbs the loss. {self.hint} (warned once)", RuntimeWarning,
                          stacklevel=4)
        return new

    def state_dict(self):
        return {"skipped": self.skipped, "warned": self.warned}

    def load_state_dict(self, state):
        self.skipped, self.warned = int(state.get("skipped", 0)), bool(state.get("warned", False))


def _xp(a):
    return np if isinstance(a, (numbers.Real, np.ndarray, np.generic)) else xp(device_of(a))


def _host(a):
    return np.asarray(a) if isinstance(a, (numbers.Real, np.ndarray, np.generic)) else to_host(a)


def _finite(a):
    return bool(np.all(np.isfinite(_host(a))))

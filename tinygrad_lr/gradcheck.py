"""Gradient checks by central differences in float64 (as torch.autograd.gradcheck / gradgradcheck).

gradcheck compares the full Jacobian from backward (one backward per output element) with
(f(x + eps·e_j) - f(x - eps·e_j)) / 2eps for every input element j. gradgradcheck applies gradcheck to the
map (x, u) -> grad(f(x), x, grad_outputs=u, create_graph=True), i.e. it checks that every backward is itself
correctly differentiable, in the inputs and in the incoming gradient.
"""
import numpy as np

from .autograd import enable_grad, grad
from .backend import to_host
from .tensor import Tensor


class GradcheckError(AssertionError):
    """A derivative check failed: the message names the output and input, the worst entry, its analytic and
    numeric values (or the first non-finite one)."""


def _tuple(x):
    return (x,) if isinstance(x, Tensor) else tuple(x)


def _prepare(inputs):
    """Float64 copies of the inputs; those that require grad become fresh leaves."""
    out = []
    for x in _tuple(inputs):
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            out.append(Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad))
        else:
            out.append(x)
    return out


def _outputs(fn, xs):
    with enable_grad():
        return _tuple(fn(*xs))


def _check(name, analytic, numeric, atol, rtol, oi, ii):
    """Raise naming the worst entry where |analytic - numeric| > atol + rtol·|numeric|, or the first entry where
    either is nan or ±inf (a comparison with nan is False: without this check a nan derivative would pass)."""
    bad = ~(np.isfinite(analytic) & np.isfinite(numeric))
    if bad.any():
        r, c = np.unravel_index(np.argmax(bad), bad.shape)
        which = " and ".join(k for k, v in (("analytic", analytic[r, c]), ("numeric", numeric[r, c]))
                             if not np.isfinite(v))
        raise GradcheckError(
            f"{name}: non-finite {which} derivative for output {oi} w.r.t. input {ii} at (output element {r}, "
            f"input element {c}): analytic {analytic[r, c]:.10g} vs numeric {numeric[r, c]:.10g} "
            f"({int(bad.sum())} non-finite entries)")
    err = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if err.size and err.max() > 0:
        r, c = np.unravel_index(np.argmax(err), err.shape)
        raise GradcheckError(
            f"{name}: Jacobian mismatch for output {oi} w.r.t. input {ii} at (output element {r}, input element "
            f"{c}): analytic {analytic[r, c]:.10g} vs numeric {numeric[r, c]:.10g} "
            f"(max abs difference {np.abs(analytic - numeric).max():.3g}, atol {atol}, rtol {rtol})")


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, _name="gradcheck"):
    """True if fn's analytic Jacobian w.r.t. every input with requires_grad matches central differences
    (f(x + eps·e_j) - f(x - eps·e_j)) / 2eps, entry by entry within atol + rtol·|numeric|.

    Args:
        fn: a function of the inputs returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or a sequence (non-Tensors are passed through); floating-point ones are checked in
            float64 copies, and those with requires_grad are differentiated.
        eps: the finite-difference step.
        atol, rtol: the absolute and relative tolerance.
        raise_exception: on a mismatch, raise GradcheckError naming the worst entry (True) or return False."""
    xs = _prepare(inputs)
    wrt = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    if not wrt:
        raise ValueError(f"{_name}: no input requires grad")
    outs = _outputs(fn, xs)
    try:
        for oi, o in enumerate(outs):
            n_out = o.data.size
            analytic = [np.zeros((n_out, xs[i].data.size)) for i in wrt]
            if o.requires_grad:
                for k in range(n_out):
                    go = np.zeros(n_out)
                    go[k] = 1.0
                    gs = grad(o, [xs[i] for i in wrt], Tensor(go.reshape(o.shape).astype(o.dtype), device=o.device),
                              retain_graph=True, allow_unused=True)
                    for a, g in zip(analytic, gs):
                        if g is not None:
                            a[k] = to_host(g.data).reshape(-1)
            for a, i in zip(analytic, wrt):
                numeric = np.zeros_like(a)
                arr = xs[i].data  # perturbed in place, element by element in C order whatever its memory layout
                for j in range(arr.size):
                    idx = np.unravel_index(j, arr.shape)
                    orig = arr[idx].item()
                    arr[idx] = orig + eps
                    plus = to_host(_outputs(fn, xs)[oi].data).astype(np.float64).reshape(-1)
                    arr[idx] = orig - eps
                    minus = to_host(_outputs(fn, xs)[oi].data).astype(np.float64).reshape(-1)
                    arr[idx] = orig
                    numeric[:, j] = (plus - minus) / (2 * eps)
                _check(_name, a, numeric, atol, rtol, oi, i)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """True if the backward of fn is itself correctly differentiable (second-order check).

    It runs gradcheck on the map (inputs, u) -> uᵀJ = grad(fn(inputs), inputs, u, create_graph=True), so every
    backward is checked to be differentiable in the inputs and in the incoming gradient u. fn, inputs, eps,
    atol, rtol and raise_exception as in gradcheck. grad_outputs (the vectors u, one per output) are random
    float64 by default, drawn from a NumPy generator seeded with seed, and are checked as inputs too.
    """
    xs = _prepare(inputs)
    wrt = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    outs = _outputs(fn, xs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        us = [Tensor(rng.standard_normal(o.shape), device=o.device, requires_grad=True) for o in outs]
    else:
        us = [Tensor(np.asarray(to_host(u.data), dtype=np.float64), device=o.device, requires_grad=True)
              for u, o in zip(_tuple(grad_outputs), outs)]
    n = len(xs)

    def vjp(*args):
        x, u = list(args[:n]), args[n:]
        o = _outputs(fn, x)
        pairs = [(oo, uu) for oo, uu in zip(o, u) if oo.requires_grad]
        gs = grad([p[0] for p in pairs], [x[i] for i in wrt], [p[1] for p in pairs], create_graph=True,
                  allow_unused=True)
        return tuple(Tensor.zeros_like(x[i]) if g is None else g for g, i in zip(gs, wrt))

    return gradcheck(vjp, xs + us, eps, atol, rtol, raise_exception, _name="gradgradcheck")

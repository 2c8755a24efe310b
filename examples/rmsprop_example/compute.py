r"""The RMSProp worked example's computation: two steps of plain gradient descent and two of the RMSProp-style
scheme of "Introduction to neural network optimizers, part 2" on E(w) = 3 w1² + 10 w2², from w0 = (-15, 20):

    s(t) = β·s(t-1) + (1-β)·g²,   w(t) = w(t-1) - η·g / √(s(t) + ε)      (η = 0.05, β = 0.9, ε = 1e-8, s(0) = 0)

Gradients come from autodiff. Three computations:
- GD: optim.SGD(lr=0.001).
- RMSProp-style, exact: the scheme above in Tensor ops, ε INSIDE the root as the post writes it.
- RMSProp-style, optim.RMSprop(lr=0.05, alpha=β, eps=ε): torch's form a = √s + ε, ε OUTSIDE the root.
  At ε = 1e-8 and s ≥ 810 the two differ by about 1e-12 relative: invisible at 2 decimals.
"""
import numpy as np

from tinygrad_lr import optim
from tinygrad_lr.autograd import grad, no_grad
from tinygrad_lr.tensor import Tensor

from .config import BETA, EPSILON, ETA, ETA_GD, W0


def energy(w):
    return 3 * w[0] ** 2 + 10 * w[1] ** 2


def _w():
    return Tensor(np.array(W0), requires_grad=True)  # float64


def _run(make_opt, steps):
    """w(1..steps) of an optimizer from tinygrad_lr.optim on E, starting at w0."""
    w = _w()
    opt = make_opt([w])
    out = []
    for _ in range(steps):
        opt.zero_grad()
        energy(w).backward()
        opt.step()
        out.append(tuple(float(v) for v in w.numpy()))
    return out


def gradient_descent(steps=2, lr=ETA_GD):
    return _run(lambda p: optim.SGD(p, lr=lr), steps)


def rmsprop_scheme(steps=2, lr=ETA, beta=BETA, eps=EPSILON, w0=W0, s0=(0.0, 0.0)):
    """The post's scheme exactly (ε inside the root). Returns [(w(t), s(t), ∇E(w(t-1))) for t = 1..steps]."""
    w = Tensor(np.array(w0, dtype=np.float64), requires_grad=True)
    s = Tensor(np.array(s0, dtype=np.float64))
    out = []
    for _ in range(steps):
        (g,) = grad(energy(w), [w])
        with no_grad():
            s = beta * s + (1 - beta) * g * g
            w_new = w.detach() - lr * g / (s + eps).sqrt()
        out.append((tuple(float(v) for v in w_new.numpy()), tuple(float(v) for v in s.numpy()),
                    tuple(float(v) for v in g.numpy())))
        w = Tensor(w_new.data, requires_grad=True)
    return out


def torch_rmsprop(steps=2, lr=ETA, beta=BETA, eps=EPSILON):
    """optim.RMSprop (torch's ε placement, outside the root)."""
    return _run(lambda p: optim.RMSprop(p, lr=lr, alpha=beta, eps=eps), steps)


def run_all(rounded_w1=None):
    """Every number the example reports: w(1), w(2) of GD, of the exact scheme and of optim.RMSprop, the exact
    scheme's s(t) and gradients, and (rounded_w1 given) its second step recomputed from that rounded w(1)."""
    exact = rmsprop_scheme()
    out = {"GD": gradient_descent(), "RMSProp-style": [w for w, _, _ in exact], "optim.RMSprop": torch_rmsprop(),
           "exact": exact}
    if rounded_w1 is not None:
        out["from_rounded_w1"] = rmsprop_scheme(steps=1, w0=rounded_w1, s0=exact[0][1])[0]
    return out

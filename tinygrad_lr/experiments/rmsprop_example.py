"""Seed 001's worked example: E(w) = 3 w1² + 10 w2² from w0 = (-15, 20), two steps of plain gradient descent
(η = 0.001) and two of the RMSProp-style scheme s = βs + (1-β)g², w ← w - η g / √(s + ε) (η = 0.05, β = 0.9,
ε = 1e-8). The scheme is written here with Tensor ops exactly as the seed states it (ε inside the root; torch's
RMSprop puts it outside, which at ε = 1e-8 changes nothing at 2 decimals: the tests check both)."""
import numpy as np

from .. import optim
from ..autograd import no_grad
from ..tensor import Tensor
from .common import out_dir, write_json

SEED = {"GD": [(-14.91, 19.6), (-14.82, 19.21)], "RMSProp-style": [(-14.84, 19.84), (-14.73, 19.73)]}


def energy(w):
    return 3 * w[0] ** 2 + 10 * w[1] ** 2


def gradient_descent(steps=2, lr=0.001):
    w = Tensor(np.array([-15.0, 20.0]), requires_grad=True)
    opt = optim.SGD([w], lr=lr)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        energy(w).backward()
        opt.step()
        out.append(tuple(w.numpy()))
    return out


def rmsprop_scheme(steps=2, lr=0.05, beta=0.9, eps=1e-8):
    w = Tensor(np.array([-15.0, 20.0]), requires_grad=True)
    s = Tensor.zeros_like(w)
    out = []
    for _ in range(steps):
        w.grad = None
        energy(w).backward()
        with no_grad():
            g = w.grad
            s = beta * s + (1 - beta) * g * g
            w.data = (w - lr * g / (s + eps).sqrt()).data
        out.append(tuple(w.numpy()))
    return out


def run(out="runs/rmsprop-example", log=print):
    out = out_dir(out)
    ours = {"GD": gradient_descent(), "RMSProp-style": rmsprop_scheme()}
    rows, ok = [], True
    log("Seed 001: E(w) = 3 w1^2 + 10 w2^2, w0 = (-15, 20)")
    log("| scheme | step | tinygrad_lr | seed | match (2 decimals) |\n|---|---|---|---|---|")
    for scheme, steps in ours.items():
        for k, (w, ref) in enumerate(zip(steps, SEED[scheme]), 1):
            match = bool(np.all(np.abs(np.array(w) - np.array(ref)) < 0.005 + 1e-12))
            ok &= match
            rows.append({"scheme": scheme, "step": k, "w": [float(v) for v in w], "seed": list(ref), "match": match})
            log(f"| {scheme} | w({k}) | ({w[0]:.4f}, {w[1]:.4f}) | {ref} | {'yes' if match else 'NO'} |")
    write_json(f"{out}/metrics.json", {"rows": rows, "all_match": ok})
    log(f"\nwrote {out}/metrics.json")
    return rows, ok

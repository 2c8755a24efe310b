"""make demo: train a tiny MLP on a synthetic task, then check an HVP against finite differences.

(The full demo of the learning-rate methods replaces this once the optimizers and experiments land.)
"""
import time

import numpy as np

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor


def main(steps=300, seed=0):
    rng = np.random.default_rng(seed)
    # XOR of the quadrants: needs the hidden layers
    n = 512
    X = rng.uniform(-1, 1, (n, 2))
    cls = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    X, y = Tensor(X.astype(np.float32)), cls
    sizes = [2, 64, 64, 2]
    params = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        params += [Tensor(rng.uniform(-1, 1, (o, i)).astype(np.float32) / np.sqrt(i), requires_grad=True),
                   Tensor(np.zeros(o, np.float32), requires_grad=True)]

    def net(*ps, x=X):
        h = x
        for k in range(0, len(ps), 2):
            h = F.linear(h, ps[k], ps[k + 1])
            if k < len(ps) - 2:
                h = h.tanh()
        return h

    t0 = time.perf_counter()
    lr = 0.5
    for step in range(steps + 1):
        loss = F.cross_entropy(net(*params), y)
        grads = tl.grad(loss, params)
        with tl.no_grad():
            for p, g in zip(params, grads):
                p.data = p.data - lr * g.data
        if step % 100 == 0:
            acc = (net(*params).argmax(1).numpy() == y).mean()
            print(f"step {step:4d}  loss {loss.item():.4f}  train accuracy {acc:.3f}")
    print(f"trained {steps} steps of full-batch GD in {time.perf_counter() - t0:.2f} s")

    # HVP by double backprop vs central differences of gradients, in float64
    p64 = [Tensor(p.data.astype(np.float64), requires_grad=True) for p in params]
    x64 = Tensor(X.data.astype(np.float64))
    f = lambda *ps: F.cross_entropy(net(*ps, x=x64), y)  # noqa: E731
    v = [Tensor(rng.standard_normal(p.shape)) for p in p64]
    hv = tl.hvp(f, p64, v)
    eps = 1e-5
    gp = _grads(f, [p.data + eps * u.data for p, u in zip(p64, v)])
    gm = _grads(f, [p.data - eps * u.data for p, u in zip(p64, v)])
    fd = np.concatenate([((a - b) / (2 * eps)).ravel() for a, b in zip(gp, gm)])
    an = np.concatenate([h.numpy().ravel() for h in hv])
    err = np.abs(an - fd).max() / np.abs(fd).max()
    print(f"HVP check (float64, {an.size} parameters): max |double backprop - finite diff| / max|Hv| = {err:.2e}")
    return err


def _grads(f, arrays):
    ps = [Tensor(a, requires_grad=True) for a in arrays]
    return [g.numpy() for g in tl.grad(f(*ps), ps)]


if __name__ == "__main__":
    main()

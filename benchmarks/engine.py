"""Engine benchmark: MLP 784-512-256-10 at batch 128 (float32): grad step, HVP, per-op overhead.

Baselines measured in the same run: the same GEMMs (shapes and memory layouts) in bare NumPy, and a complete
hand-written NumPy forward+backward of the same network.
Targets (issue 2): grad step >= 60 % of the bare-GEMM rate; HVP <= 2.5x grad; per-op overhead <= 10 us.
"""
import timeit

import numpy as np

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor

from .common import interleaved, table

SIZES = (784, 512, 256, 10)
BATCH = 128


def mlp_problem(seed=0):
    rng = np.random.default_rng(seed)
    Ws = [(rng.standard_normal((o, i)) / np.sqrt(i)).astype(np.float32) for i, o in zip(SIZES[:-1], SIZES[1:])]
    bs = [np.zeros(o, np.float32) for o in SIZES[1:]]
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return Ws, bs, x, y


def mlp_loss(params, x, y):
    """Cross-entropy of the ReLU MLP whose weights and biases alternate in params."""
    h = x
    for i in range(0, len(params), 2):
        h = F.linear(h, params[i], params[i + 1])
        if i < len(params) - 2:
            h = h.relu()
    return F.cross_entropy(h, y)


def gemm_flops():
    """FLOPs of the GEMMs of one forward+backward (no input gradient for the first layer)."""
    f = [2 * BATCH * i * o for i, o in zip(SIZES[:-1], SIZES[1:])]
    return sum(f) + sum(f) + sum(f[1:])  # forward, weight grads, input grads of layers 2..L


def numpy_step(Ws, bs, x, y):
    """Hand-written NumPy forward+backward of the MLP (the reference a framework step should match)."""
    hs, h = [x], x
    for i, (W, b) in enumerate(zip(Ws, bs)):
        h = h @ W.T + b
        if i < len(Ws) - 1:
            h = np.maximum(h, 0)
        hs.append(h)
    z = h - h.max(1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    g = p / len(y)
    grads = []
    for i in range(len(Ws) - 1, -1, -1):
        grads.append((g.T @ hs[i], g.sum(0)))
        if i:
            g = (g @ Ws[i]) * (hs[i] > 0)
    return grads


def bare_gemms(Ws, x):
    """Exactly the GEMMs of numpy_step, nothing else."""
    acts = [x] + [np.ones((BATCH, o), np.float32) for o in SIZES[1:-1]]
    outs = [np.ones((BATCH, o), np.float32) for o in SIZES[1:]]

    def run():
        for a, W in zip(acts, Ws):
            a @ W.T
        for i in range(len(Ws) - 1, -1, -1):
            outs[i].T @ acts[i]
            if i:
                outs[i] @ Ws[i]
    return run


def run(repeats=30):
    Ws, bs, x, y = mlp_problem()
    params = [Tensor(a, requires_grad=True) for pair in zip(Ws, bs) for a in pair]
    xt = Tensor(x)
    v = [Tensor.randn_like(p) for p in params]

    def loss():
        return mlp_loss(params, xt, y)

    t = interleaved({
        "gemm": bare_gemms(Ws, x),
        "numpy": lambda: numpy_step(Ws, bs, x, y),
        "grad": lambda: tl.grad(loss(), params),
        "hvp": lambda: tl.hvp(loss(), params, v),
    }, repeats)
    gf = gemm_flops()
    a = Tensor(np.ones(10, np.float32), requires_grad=True)
    b = Tensor(np.ones(10, np.float32), requires_grad=True)
    n = 20000
    add_us = min(timeit.repeat(lambda: a + b, number=n, repeat=5)) / n * 1e6
    raw_us = min(timeit.repeat(lambda: a.data + b.data, number=n, repeat=5)) / n * 1e6
    rows = [
        ("bare NumPy GEMMs (same shapes)", f"{t['gemm'] * 1e3:.2f}", f"{gf / t['gemm'] / 1e9:.1f}", "1.00", ""),
        ("hand-written NumPy fwd+bwd", f"{t['numpy'] * 1e3:.2f}", f"{gf / t['numpy'] / 1e9:.1f}",
         f"{t['gemm'] / t['numpy']:.2f}", ""),
        ("tinygrad_lr grad (fwd+bwd)", f"{t['grad'] * 1e3:.2f}", f"{gf / t['grad'] / 1e9:.1f}",
         f"{t['gemm'] / t['grad']:.2f}", ">= 0.60"),
        ("tinygrad_lr HVP (double backprop)", f"{t['hvp'] * 1e3:.2f}", "", "",
         f"{t['hvp'] / t['grad']:.2f}x grad (<= 2.5)"),
    ]
    table(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32 (median of {repeats} interleaved runs)",
          ["step", "ms", "GFLOP/s", "share of GEMM rate", "target"], rows)
    table("Per-op overhead: add of two 10-element tensors with requires_grad",
          ["what", "us", "target"],
          [("tinygrad_lr a + b (records graph)", f"{add_us:.2f}", "<= 10"),
           ("bare NumPy a + b", f"{raw_us:.2f}", "")])
    return {"grad_ms": t["grad"] * 1e3, "hvp_ms": t["hvp"] * 1e3, "gemm_ms": t["gemm"] * 1e3,
            "numpy_ms": t["numpy"] * 1e3, "gemm_share": t["gemm"] / t["grad"],
            "hvp_over_grad": t["hvp"] / t["grad"], "add_us": add_us}

"""Training steps of LeNet5 (batch 128, MNIST-shaped) and the row-MNIST LSTM (batch 128, hidden 128, 28 steps),
with the share of the step spent in GEMMs (MatMul forward calls, which include the backward's GEMMs) against
everything else, so the next speed-up is visible."""
import time

import numpy as np

import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, models, optim
from tinygrad_lr.ops import conv, linalg

from .common import interleaved, table


class _Timer:
    """Accumulates the wall time of some ops' forward (patched in for the measurement only)."""

    def __init__(self, targets):
        self.targets, self.spent = targets, {name: 0.0 for name, _ in targets}

    def __enter__(self):
        self.saved = []
        for name, cls in self.targets:
            orig = cls.forward

            def timed(ctx, *a, _orig=orig, _name=name, **kw):
                t = time.perf_counter()
                try:
                    return _orig(ctx, *a, **kw)
                finally:
                    self.spent[_name] += time.perf_counter() - t
            self.saved.append((cls, orig))
            cls.forward = timed
        return self

    def __exit__(self, *exc):
        for cls, orig in self.saved:
            cls.forward = orig


def _step_fn(model, x, y):
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    return step


def run(repeats=10):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 128)
    cases = {
        "LeNet5, batch 128": (models.LeNet5(), Tensor(rng.random((128, 1, 28, 28), dtype=np.float32))),
        "row-MNIST LSTM, batch 128, hidden 128": (models.LSTMClassifier(input_size=28, hidden_size=128),
                                                  Tensor(rng.random((128, 28, 28), dtype=np.float32))),
    }
    steps = {k: _step_fn(m, x, y) for k, (m, x) in cases.items()}
    t = interleaved(steps, repeats, warmup=2)
    rows = []
    for k, f in steps.items():
        with _Timer([("gemm", linalg.MatMul), ("im2col/col2im", conv.Unfold), ("col2im", conv.Fold)]) as tm:
            t0 = time.perf_counter()
            for _ in range(5):
                f()
            total = time.perf_counter() - t0
        gemm, cols = tm.spent["gemm"], tm.spent["im2col/col2im"] + tm.spent["col2im"]
        rows.append((k, f"{t[k] * 1e3:.1f}", f"{100 * gemm / total:.0f} %", f"{100 * cols / total:.0f} %",
                     f"{100 * (1 - (gemm + cols) / total):.0f} %"))
    table(f"Model training steps (SGD momentum; median of {repeats})",
          ["model", "ms/step", "GEMM", "unfold/fold", "everything else"], rows)
    return {r[0]: float(r[1]) for r in rows}

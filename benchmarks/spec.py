"""What is benchmarked, shared by every worker (NumPy only: no tinygrad_lr, no torch).

The four models, their input shapes, the seeded data and HVP vectors, the workloads, the hyper-parameters of
the timed training steps, and the GEMM lists that define the bare-NumPy limit of each model."""
import numpy as np

BATCH = 128
CLASSES = 10

# name -> (title, input shape without the batch dimension)
MODELS = {
    "mlp": ("MLP 784-512-256-10", (784,)),
    "lenet": ("LeNet5, MNIST shapes", (1, 28, 28)),
    "lstm": ("LSTM 128, 28 rows of 28 + linear", (28, 28)),
    "resnet20": ("ResNet-20, CIFAR shapes", (3, 32, 32)),
}
# the ones timed against PyTorch, in table order; "limit" workloads run in bare NumPy (tinygrad_lr's worker)
WORKLOADS = ["grad", "hvp", "sgd", "firstorder", "rthpo"]
WORKLOAD_TITLES = {
    "grad": "grad (fwd+bwd)",
    "hvp": "HVP (double backprop)",
    "sgd": "SGD step",
    "firstorder": "First-order step",
    "rthpo": "RT-HPO step",
    "gemm": "bare NumPy GEMMs",
    "numpy": "hand-written NumPy fwd+bwd",
    "lossgrad": "LossGrad step",
    "rthpo_adam": "RT-HPO on Adam step",
    "add": "a + b, 10 elements (per op, us)",
}
# tinygrad_lr-only rows (no PyTorch counterpart defined): kept from the earlier micro-benchmarks
EXTRA = {"mlp": ["lossgrad", "rthpo_adam"]}
OVERHEAD_OPS = 1000  # the "add" workload runs this many adds per call

# timed training steps: SGD without momentum, one global η; tiny β so that η stays put over many repeats
LR, HYPER_LR = 1e-3, 1e-8
# correctness check of the learning-rate methods (in float64): a β that moves η visibly in three steps
CHECK_LR, CHECK_HYPER_LR, CHECK_STEPS = 0.01, 1e-3, 3


def data(model, batch=BATCH, seed=0):
    """Input batch (float32) and integer labels, the same in every worker."""
    rng = np.random.default_rng(seed)
    x = rng.random((batch, *MODELS[model][1]), dtype=np.float32)
    if model in ("lenet", "resnet20", "mlp"):
        x = (x - 0.5) / 0.5
    y = rng.integers(0, CLASSES, batch).astype(np.int64)
    return x, y


def vectors(names_shapes, seed=1):
    """The HVP direction: one standard-normal float32 array per parameter, in the given (name, shape) order."""
    rng = np.random.default_rng(seed)
    return {n: rng.standard_normal(s).astype(np.float32) for n, s in names_shapes}


# ---- the bare-NumPy limit -------------------------------------------------------------------------------------
# A GEMM is (layout, M, K, N): C(M, N) = op(A) op(B) with "NN" = A(M, K) @ B(K, N), "NT" = A(M, K) @ B(N, K).T,
# "TN" = A(K, M).T @ B(K, N), so each runs with the transposition flags the framework's own GEMM would use.

def _linear(n, fin, fout, input_grad=True):
    g = [("NT", n, fin, fout), ("TN", fout, n, fin)]       # forward x W^T, weight grad dY^T x
    return g + ([("NN", n, fout, fin)] if input_grad else [])  # input grad dY W


def _conv(n, cin, cout, k, hw_out, input_grad=True):
    """im2col convolution: W(cout, cin*k*k) @ cols(cin*k*k, n*oh*ow); the weight and column gradients."""
    kk, p = cin * k * k, n * hw_out * hw_out
    g = [("NN", cout, kk, p), ("NT", cout, p, kk)]
    return g + ([("TN", kk, cout, p)] if input_grad else [])


def gemms(model, n=BATCH):
    """Every GEMM of one forward+backward pass (no gradient for the input batch)."""
    if model == "mlp":
        return _linear(n, 784, 512, False) + _linear(n, 512, 256) + _linear(n, 256, 10)
    if model == "lenet":
        return (_conv(n, 1, 6, 5, 28, False) + _conv(n, 6, 16, 5, 10) + _linear(n, 400, 120) + _linear(n, 120, 84)
                + _linear(n, 84, 10))
    if model == "lstm":
        t, f, h = 28, 28, 128
        g = [("NT", n * t, f, 4 * h), ("TN", 4 * h, n * t, f)]  # all steps' input projection and its weight grad
        g += t * [("NT", n, h, 4 * h), ("TN", 4 * h, n, h), ("NN", n, 4 * h, h)]  # recurrent GEMMs, fwd and bwd
        return g + _linear(n, h, 10)
    if model == "resnet20":
        g = _conv(n, 3, 16, 3, 32, False)
        for cin, cout, hw in [(16, 16, 32), (16, 32, 16), (32, 64, 8)]:
            for b in range(3):
                g += _conv(n, cin if b == 0 else cout, cout, 3, hw) + _conv(n, cout, cout, 3, hw)
        return g + _linear(n, 64, 10)
    raise KeyError(model)


def bare_gemms(model, n=BATCH, xp=np, seed=0):
    """A callable running exactly the GEMMs of `gemms(model)` on preallocated float32 operands."""
    rng = np.random.default_rng(seed)
    ops = []
    for layout, m, k, nn in gemms(model, n):
        a = rng.random((k, m) if layout == "TN" else (m, k), dtype=np.float32)
        b = rng.random((nn, k) if layout == "NT" else (k, nn), dtype=np.float32)
        out = np.empty((m, nn), np.float32)
        a, b, out = xp.asarray(a), xp.asarray(b), xp.asarray(out)
        ops.append((a.T if layout == "TN" else a, b.T if layout == "NT" else b, out))

    def run():
        for a, b, out in ops:
            xp.matmul(a, b, out=out)
    return run


def mlp_numpy_step(Ws, bs, x, y):
    """Hand-written NumPy forward+backward of the ReLU MLP (the cross-entropy's weight and bias gradients)."""
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


# ---- the same-weights check -------------------------------------------------------------------------------------
CHECK_BATCH = 8
# The loss, gradient and HVP in float32 (the benchmark's dtype): the loss to 1e-4 absolute, gradient and HVP as
# relative errors (norm of the difference over the norm of PyTorch's, worst parameter tensor). The learning-rate
# methods run CHECK_STEPS steps in float64 on both sides: in float32 a step of a BatchNorm net on random data
# amplifies rounding differences (ResNet-20's second hypergradient differs by ~6e-4 between the frameworks in
# float32, by 1e-15 in float64), so float64 is what tells a wrong formula from rounding.
TOLERANCES = {"loss": 1e-4, "grad": 1e-4, "hvp": 1e-3, "hypergrad": 1e-8, "lr": 1e-10, "method_loss": 1e-9}

# ---- issue 9's targets, checked by the report (not by tests) ----------------------------------------------------
# (description, kind, model, workload(s), bound): kind "vs_torch" = tinygrad_lr / PyTorch, "within" = tinygrad_lr
# workload a / workload b, "gemm_share" = bare GEMMs / tinygrad_lr grad (a lower bound), "memory" = RT-HPO / SGD
TARGETS = [
    ("LeNet5 grad <= 1.5x PyTorch", "vs_torch", "lenet", "grad", 1.5),
    ("LeNet5 HVP <= 1.5x PyTorch", "vs_torch", "lenet", "hvp", 1.5),
    ("ResNet-20 grad <= 1.5x PyTorch", "vs_torch", "resnet20", "grad", 1.5),
    ("ResNet-20 HVP <= 1.5x PyTorch", "vs_torch", "resnet20", "hvp", 1.5),
    ("LSTM grad <= 2.0x PyTorch", "vs_torch", "lstm", "grad", 2.0),
    ("LSTM HVP <= 1.5x PyTorch", "vs_torch", "lstm", "hvp", 1.5),
    ("MLP grad >= 0.90 of the bare-GEMM rate", "gemm_share", "mlp", "grad", 0.90),
    ("MLP HVP <= 2.0x grad", "within", "mlp", ("hvp", "grad"), 2.0),
    ("MLP RT-HPO step <= 1.3x hand-written PyTorch", "vs_torch", "mlp", "rthpo", 1.3),
    ("MLP First-order step <= 1.15x SGD step", "within", "mlp", ("firstorder", "sgd"), 1.15),
    ("LeNet5 RT-HPO step peak memory <= 1.5x SGD step", "memory", "lenet", None, 1.5),
]

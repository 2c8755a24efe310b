"""The row-MNIST LSTM (nn.LSTM(28, 128, batch_first=True) + nn.Linear(128, 10) on the last hidden state, batch 128,
28 steps, cross-entropy): gradient and HVP times, tinygrad_lr against PyTorch CPU, each in its own process.

    python -m benchmarks.lstm [--rounds 7] [--reps 5] [--threads 2] [--clock wall|cpu] [--steps]
                              [--torch /path/to/python-with-torch]
                              [--baseline path/to/an/older/nn/rnn.py]

Rounds alternate the processes (tinygrad_lr, then PyTorch when --torch is given); each reports the median of
--reps timings per case, and the table gives the median over rounds with the min-max spread, plus the median of
the per-round ratios. --baseline times another LSTM implementation (a copy of an older tinygrad_lr/nn/rnn.py) in
the same tinygrad_lr process, interleaved with the current one; --steps adds tinygrad_lr's SGD and RT-HPO (global η)
training steps. PyTorch is never imported by this process.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

N, T, F, H, C = 128, 28, 28, 128, 10


_CLOCK = [time.perf_counter]


def _median_times(fns, reps, warmup=2):
    clock = _CLOCK[0]
    for f in fns.values():
        for _ in range(warmup):
            f()
    ts = {k: [] for k in fns}
    for _ in range(reps):
        for k, f in fns.items():
            t0 = clock()
            f()
            ts[k].append(clock() - t0)
    return {k: float(np.median(v)) * 1e3 for k, v in ts.items()}


def _data():
    rng = np.random.default_rng(0)
    return rng.random((N, T, F), dtype=np.float32), rng.integers(0, C, N), rng


def worker_tinygrad(reps, baseline, steps):
    import importlib.util

    import tinygrad_lr as tl
    import tinygrad_lr.functional as Fn
    from tinygrad_lr import Tensor, hyper, nn, optim

    x, y, rng = _data()
    x = Tensor(x)
    impls = {"": nn.LSTM}
    if baseline:
        spec = importlib.util.spec_from_file_location("tinygrad_lr.nn._rnn_baseline", baseline)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        impls["baseline "] = mod.LSTM
    fns = {}

    def model(cls):
        tl.manual_seed(0)
        lstm, fc = cls(F, H, batch_first=True), nn.Linear(H, C)

        def loss():
            _, (h, _) = lstm(x)
            return Fn.cross_entropy(fc(h[-1]), y)
        return lstm.parameters() + fc.parameters(), loss

    for name, cls in impls.items():
        ps, loss = model(cls)
        v = [Tensor(rng.standard_normal(p.shape).astype(np.float32)) for p in ps]
        fns[f"{name}grad"] = lambda loss=loss, ps=ps: tl.grad(loss(), ps)
        fns[f"{name}hvp"] = lambda loss=loss, ps=ps, v=v: tl.hvp(loss(), ps, v)
        if steps:  # training steps, each on its own copy of the model (the steps change the weights)
            ps, loss = model(cls)
            opt = optim.SGD(ps, lr=0.01)

            def sgd_step(opt=opt, loss=loss):
                opt.zero_grad()
                loss().backward()
                opt.step()
            fns[f"{name}SGD step"] = sgd_step
            ps, loss = model(cls)
            rthpo = hyper.RTHPO(optim.SGD(ps, lr=0.01), hyper_lr=1e-9)
            fns[f"{name}RT-HPO step"] = lambda h=rthpo, loss=loss: h.step(loss)
    return _median_times(fns, reps)


def worker_torch(reps, threads):
    import torch
    torch.set_num_threads(threads)
    x, y, rng = _data()
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    torch.manual_seed(0)
    lstm, fc = torch.nn.LSTM(F, H, batch_first=True), torch.nn.Linear(H, C)
    ps = list(lstm.parameters()) + list(fc.parameters())
    v = [torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32)) for p in ps]

    def loss():
        _, (h, _) = lstm(x)
        return torch.nn.functional.cross_entropy(fc(h[-1]), y)

    def hvp():
        gs = torch.autograd.grad(loss(), ps, create_graph=True)
        return torch.autograd.grad(sum((g * u).sum() for g, u in zip(gs, v)), ps)
    return _median_times({"grad": lambda: torch.autograd.grad(loss(), ps), "hvp": hvp}, reps)


def _run_worker(python, framework, args):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads),
               MALLOC_MMAP_THRESHOLD_="1073741824", MALLOC_TRIM_THRESHOLD_="2147483647")
    cmd = [python, "-m", "benchmarks.lstm", "--worker", framework, "--reps", str(args.reps),
           "--threads", str(args.threads), "--clock", args.clock]
    cmd += (["--baseline", args.baseline] if args.baseline else []) + (["--steps"] if args.steps else [])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                   help="cpu: the process's CPU time (robust on a shared machine with --threads 1 only)")
    p.add_argument("--torch", default=None, help="a Python interpreter that has torch")
    p.add_argument("--baseline", default=None, help="an older tinygrad_lr/nn/rnn.py to time alongside")
    p.add_argument("--steps", action="store_true", help="also time tinygrad_lr's SGD and RT-HPO training steps")
    p.add_argument("--worker", choices=["tinygrad", "torch"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.clock == "cpu":
        _CLOCK[0] = time.process_time
    if args.worker == "tinygrad":
        print(json.dumps(worker_tinygrad(args.reps, args.baseline, args.steps)))
        return
    if args.worker == "torch":
        print(json.dumps(worker_torch(args.reps, args.threads)))
        return
    rounds = []
    for r in range(args.rounds):
        res = {f"tinygrad_lr {k}": v for k, v in _run_worker(sys.executable, "tinygrad", args).items()}
        if args.torch:
            res.update({f"torch {k}": v for k, v in _run_worker(args.torch, "torch", args).items()})
        rounds.append(res)
        print(f"round {r + 1}: " + ", ".join(f"{k} {v:.1f}" for k, v in res.items()), flush=True)
    print(f"\nrow-MNIST LSTM, batch {N}, {args.threads} threads, {args.clock} clock, {args.rounds} rounds x "
          f"{args.reps} reps (ms: median over rounds [min-max])")
    for k in rounds[0]:
        v = [r[k] for r in rounds]
        print(f"  {k:32s} {np.median(v):7.1f}  [{min(v):.1f}-{max(v):.1f}]")
    pairs = [(f"tinygrad_lr {case}", f"tinygrad_lr baseline {case}") for case in ("grad", "hvp", "RT-HPO step")]
    pairs += [(f"tinygrad_lr {pre}RT-HPO step", f"tinygrad_lr {pre}SGD step") for pre in ("", "baseline ")]
    if args.torch:
        pairs += [(f"tinygrad_lr {pre}{case}", f"torch {case}") for pre in ("", "baseline ")
                  for case in ("grad", "hvp")]
    for a, b in pairs:
        if a in rounds[0] and b in rounds[0]:
            q = [r[a] / r[b] for r in rounds]
            print(f"  {a} / {b}: {np.median(q):.2f}  [{min(q):.2f}-{max(q):.2f}]")


if __name__ == "__main__":
    main()

"""What does a training step of each Table-1 method cost? The grid's "time per run" column is wall time of runs that
shared the machine with whatever else ran during the grid (the same LeNet SGD cell took 4.7–10 s per epoch there),
so a cost ratio read from it says as much about the load as about the method. This measures it: interleaved rounds,
each timing `--steps` steps of every method in turn (the order rotates from round to round) on the sweep's own model,
batches and validation batches (built as the sweep's cells build them), one BLAS thread as in the sweep's workers;
per round the ratio of each method's time per step to First-order (Train)'s, then the median and range over rounds.

    python -m tinygrad_lr.examples.sweep.cost --models lenet mlp --rounds 7 --steps 40 \\
        --out docs/results/table1_cost

Writes cost.json (every round's times, the settings) and prints the table. The cell (--lr, --hyper-lr) is one that
trains on both models, so no step times NaN arithmetic.
"""
import argparse
import os
import time

import numpy as np

from ..common.data import add_data_root
from ..common.files import out_dir, write_json
from ..common.runner import _limit_threads
from ..common.methods import METHODS

TABLE1 = ("sgd", "expdecay", "adadelta", "firstorder", "firstorder-val", "rthpo")
BASE = "firstorder"  # the paper's claim: RT-HPO costs what First-order (Train) costs


def measure(model_name, data, methods, rounds, steps, lr, hyper_lr, seed=0, warmup=3, log=print):
    """{method: [seconds per step, one per round]}: rounds of `steps` steps of every method, interleaved."""
    import tinygrad_lr.functional as F
    from tinygrad_lr.train import train_step

    from .diagnose import _setup
    runs = {m: _setup(model_name, lr, hyper_lr, seed, data, method=m) for m in methods}

    def run(m, n):
        model, stepper, train = runs[m]
        for _ in range(n):
            xb, yb = next(train)
            loss, _ = train_step(model, stepper, xb, yb, F.cross_entropy)
        if not np.isfinite(float(loss.item())):
            raise FloatingPointError(f"{model_name} {m}: the loss is not finite (η̄={lr}, β={hyper_lr}); choose a "
                                     "cell that trains, or the step times NaN arithmetic")

    for m in methods:
        run(m, warmup)
    times = {m: [] for m in methods}
    for r in range(rounds):
        for m in methods[r % len(methods):] + methods[:r % len(methods)]:
            t0 = time.perf_counter()
            run(m, steps)
            times[m].append((time.perf_counter() - t0) / steps)
        log(f"[cost] {model_name} round {r + 1}/{rounds}: " + ", ".join(f"{m} {1e3 * times[m][-1]:.1f} ms"
                                                                        for m in methods))
    return times


def summarize(times, base=BASE):
    """{method: {ms: [median, min, max], ratio: [median, min, max] of the per-round ratio to `base`}}."""
    out = {}
    for m, t in times.items():
        t = np.asarray(t)
        r = t / np.asarray(times[base]) if base in times else np.full_like(t, np.nan)
        out[m] = {"ms": [float(1e3 * np.median(t)), float(1e3 * t.min()), float(1e3 * t.max())],
                  "ratio": [float(np.median(r)), float(r.min()), float(r.max())]}
    return out


def table(summaries):
    lines = [f"| model | method | ms per step, median [min–max] over rounds | / {BASE}, per-round ratio, median "
             "[min–max] |", "|---|---|---|---|"]
    for model, s in summaries.items():
        for m, v in s.items():
            lines.append(f"| {model} | {m} | {v['ms'][0]:.1f} [{v['ms'][1]:.1f}–{v['ms'][2]:.1f}] | "
                         f"{v['ratio'][0]:.2f} [{v['ratio'][1]:.2f}–{v['ratio'][2]:.2f}] |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.sweep.cost", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", choices=("mlp", "lenet"), default=["lenet", "mlp"])
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(TABLE1))
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--steps", type=int, default=40, help="steps per method per round")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--hyper-lr", type=float, default=1e-5)
    p.add_argument("--out", default=None, help="folder for cost.json (default: print only)")
    add_data_root(p)
    a = p.parse_args(argv)
    if a.rounds < 1 or a.steps < 1:
        p.error(f"--rounds and --steps must be >= 1, got {a.rounds} and {a.steps}")
    if BASE not in a.methods:
        p.error(f"--methods must include {BASE} (the ratios are to it), got {a.methods}")
    _limit_threads()  # one BLAS thread, as each worker of the sweep runs
    from .compute import load_data
    result = {"settings": {"rounds": a.rounds, "steps": a.steps, "lr": a.lr, "hyper_lr": a.hyper_lr,
                           "methods": a.methods, "threads": os.environ.get("OPENBLAS_NUM_THREADS"), "batch": 128},
              "times": {}, "summary": {}}
    for model in a.models:
        times = measure(model, load_data(a.data_root, None, model), list(a.methods), a.rounds, a.steps, a.lr,
                        a.hyper_lr)
        result["times"][model], result["summary"][model] = times, summarize(times)
    print(table(result["summary"]))
    if a.out:
        write_json(os.path.join(out_dir(a.out), "cost.json"), result)
        print(f"[cost] wrote {a.out}/cost.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

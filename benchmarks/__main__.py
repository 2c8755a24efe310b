"""python -m benchmarks: tinygrad_lr against PyTorch (when importable) and the bare-NumPy limit, side by side.

For each model (batch 128, float32): grad (forward + backward of the cross-entropy loss), HVP (double backprop,
random direction), one training step of SGD, First-order and RT-HPO (both on SGD, one global η; PyTorch's written
by hand), and the bare-NumPy GEMMs of one forward + backward. Each framework runs in its own worker process
(`python -m benchmarks.worker`) with the same thread count and the same glibc malloc thresholds; rounds alternate
between the frameworks, and every ratio is taken within one round. Before timing, both frameworks start from the
same weights and must agree on the loss, the gradient, the HVP and three steps of each learning-rate method.
"""
import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from . import spec
from .report import Report

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRAMEWORKS = ("tinygrad_lr", "torch")


class WorkerError(RuntimeError):
    pass


class WorkerProc:
    """A `python -m benchmarks.worker` process and its JSON-lines channel."""

    def __init__(self, framework, device, threads, env):
        self.framework = framework
        self.p = subprocess.Popen([sys.executable, "-m", "benchmarks.worker", "--framework", framework,
                                   "--device", device, "--threads", str(threads)],
                                  cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.info = self._read()

    def _read(self):
        line = self.p.stdout.readline()
        if not line:
            raise WorkerError(f"the {self.framework} worker exited (code {self.p.wait()}); see its error above")
        msg = json.loads(line)
        if not msg.pop("ok"):
            raise WorkerError(f"{self.framework} worker: {msg['error']}\n{msg['traceback']}")
        return msg

    def send(self, cmd, **kw):
        self.p.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.p.stdin.flush()

    def __call__(self, cmd, **kw):
        self.send(cmd, **kw)
        return self._read()

    def close(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.p.stdin.close()
                self.p.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()


def worker_env(threads):
    """Same threads and malloc thresholds for every worker (the workers also call mallopt themselves)."""
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
              "NUMEXPR_NUM_THREADS"):
        env[k] = str(threads)
    from .worker import MMAP_THRESHOLD, TRIM_THRESHOLD
    env["MALLOC_MMAP_THRESHOLD_"] = str(MMAP_THRESHOLD)
    env["MALLOC_TRIM_THRESHOLD_"] = str(TRIM_THRESHOLD)
    env["PYTHONPATH"] = ROOT + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def machine():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    blas = "?"
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:  # older NumPy: no dict mode
        pass
    env = {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "platform": platform.platform(),
            "python": platform.python_version(), "numpy_blas": blas, "env": env,
            "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}


def torch_importable():
    return importlib.util.find_spec("torch") is not None


def rel_err(a, b):
    d = float(np.linalg.norm(a.astype(np.float64) - b.astype(np.float64)))
    n = float(np.linalg.norm(b.astype(np.float64)))
    return d / n if n else d


def compare(model, tl_out, tl_arr, th_out, th_arr):
    """tinygrad_lr vs PyTorch from the same weights and batch: a dict of errors and a pass flag."""
    res = {"n_params": (tl_out["n_params"], th_out["n_params"]), "loss": (tl_out["loss"], th_out["loss"]),
           "loss_abs_err": abs(tl_out["loss"] - th_out["loss"])}
    for kind in ("grad", "hvp"):
        keys = [k for k in tl_arr if k.startswith(kind + "/")]
        if sorted(keys) != sorted(k for k in th_arr if k.startswith(kind + "/")):
            raise WorkerError(f"{model}: the two frameworks name their parameters differently")
        res[f"{kind}_rel_err"] = max(rel_err(tl_arr[k], th_arr[k]) for k in keys)
    for kind in ("firstorder", "rthpo"):
        a, b = tl_out[kind], th_out[kind]
        hs = [(x["hypergrad"], y["hypergrad"]) for x, y in zip(a, b) if x["hypergrad"] is not None]
        res[f"{kind}_hypergrad"] = hs
        res[f"{kind}_hypergrad_rel_err"] = max((abs(x - y) / max(abs(y), 1e-12) for x, y in hs), default=0.0)
        res[f"{kind}_lr_rel_err"] = max(abs(x["lr"] - y["lr"]) / abs(y["lr"]) for x, y in zip(a, b))
        res[f"{kind}_loss_abs_err"] = max(abs(x["loss"] - y["loss"]) for x, y in zip(a, b))
    tol = spec.TOLERANCES
    res["pass"] = bool(res["n_params"][0] == res["n_params"][1] and res["loss_abs_err"] <= tol["loss"]
                       and res["grad_rel_err"] <= tol["grad"] and res["hvp_rel_err"] <= tol["hvp"]
                       and all(res[f"{k}_hypergrad_rel_err"] <= tol["hypergrad"] and res[f"{k}_lr_rel_err"] <= tol["lr"]
                               and res[f"{k}_loss_abs_err"] <= tol["method_loss"] for k in ("firstorder", "rthpo")))
    return res


def measure_memory(frameworks, device, threads, batch, env, log):
    """LeNet5: SGD step vs RT-HPO step, each in a fresh process of its own (all at once: each measures only
    itself), by the rise of the peak RSS for every framework and by tracemalloc for tinygrad_lr."""
    runs = [(fw, m, False) for fw in frameworks for m in ("sgd", "rthpo")]
    runs += [("tinygrad_lr", m, True) for m in ("sgd", "rthpo")]
    log(f"memory: LeNet5, {len(runs)} processes")
    procs = []
    for fw, method, traced in runs:
        cmd = [sys.executable, "-m", "benchmarks.worker", "--memory", "--framework", fw, "--device", device,
               "--threads", str(threads), "--model", "lenet", "--method", method, "--batch", str(batch)]
        cmd += ["--tracemalloc"] if traced else []
        procs.append((fw, method, subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)))
    out = []
    for fw, method, p in procs:
        stdout, _ = p.communicate()
        if p.returncode:
            raise WorkerError(f"memory measurement {fw} {method} failed (code {p.returncode})")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(spec.MODELS), choices=list(spec.MODELS), metavar="MODEL",
                    help=f"any of {list(spec.MODELS)} (default: all)")
    ap.add_argument("--repeats", type=int, default=None, help="interleaved rounds (default 10, --quick 2)")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke test: 2 rounds, short measurements, batch 32 (unless --batch is given)")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda: both frameworks on the GPU")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads for each framework (default 2)")
    ap.add_argument("--batch", type=int, default=None, help=f"batch size (default {spec.BATCH}, --quick 32)")
    ap.add_argument("--json", metavar="PATH", help="save everything measured (raw per-round times included)")
    ap.add_argument("--pause", type=float, default=0.3,
                    help="seconds of rest before each measurement when two frameworks alternate (default 0.3): the "
                         "threads of the one that just ran stop spinning (OpenBLAS, OpenMP busy-wait)")
    ap.add_argument("--no-torch", action="store_true", help="tinygrad_lr and NumPy only, even if torch is importable")
    ap.add_argument("--no-check", action="store_true", help="skip the same-weights correctness check")
    ap.add_argument("--no-memory", action="store_true", help="skip the LeNet5 peak-memory measurement")
    ap.add_argument("--warmup", type=int, default=None,
                    help="untimed calls per workload (default 2: a learning-rate method's first step is different)")
    ap.add_argument("--min-time", type=float, default=None,
                    help="seconds of calls per measurement, for choosing each one's call count (default 0.2, "
                         "--quick 0.05)")
    args = ap.parse_args(argv)
    args.batch = args.batch if args.batch is not None else (32 if args.quick else spec.BATCH)
    args.repeats = args.repeats if args.repeats is not None else (2 if args.quick else 10)
    args.warmup = args.warmup if args.warmup is not None else 2
    args.min_time = args.min_time if args.min_time is not None else (0.05 if args.quick else 0.2)
    if args.repeats < 1 or args.batch < 1:
        ap.error("--repeats and --batch must be >= 1")
    if args.device != "cpu" and not args.device.startswith("cuda"):
        ap.error(f"--device must be cpu or cuda[:N], got {args.device!r}")
    return args


def main(argv=None):
    args = parse_args(argv)
    t_start = time.perf_counter()

    def log(msg):
        print(f"[{time.perf_counter() - t_start:6.1f} s] {msg}", file=sys.stderr, flush=True)

    with_torch = not args.no_torch and torch_importable()
    frameworks = ("tinygrad_lr", "torch") if with_torch else ("tinygrad_lr",)
    if not with_torch and not args.no_torch:
        log("PyTorch is not importable here: tinygrad_lr and NumPy columns only (pip install -e '.[bench]')")
    env = worker_env(args.threads)
    tmp = tempfile.TemporaryDirectory(prefix="tinygrad_lr_bench_")
    workers = {}
    result = {"machine": machine(), "settings": {k: v for k, v in vars(args).items() if k != "json"},
              "frameworks": list(frameworks), "times": {}, "checks": {}, "memory": None, "workers": {}}
    try:
        for fw in frameworks:
            log(f"starting the {fw} worker")
            workers[fw] = WorkerProc(fw, args.device, args.threads, env)
            result["workers"][fw] = workers[fw].info
        # same initial weights everywhere: tinygrad_lr's (seeded), saved to .npz for the other worker
        plan = {}  # (model, workload) -> frameworks that run it
        for m in args.models:
            wpath = os.path.join(tmp.name, f"{m}.npz")
            log(f"setting up {m}")
            info = workers["tinygrad_lr"]("setup", model=m, batch=args.batch, weights=None, save=wpath)
            for w in info["workloads"]:
                plan.setdefault((m, w), []).append("tinygrad_lr")
            if with_torch:
                tinfo = workers["torch"]("setup", model=m, batch=args.batch, weights=wpath, save=None)
                if tinfo["n_params"] != info["n_params"] or tinfo["names"] != info["names"]:
                    raise WorkerError(f"{m}: tinygrad_lr has {info['n_params']} parameters, PyTorch "
                                      f"{tinfo['n_params']}; names {info['names']} vs {tinfo['names']}")
                for w in tinfo["workloads"]:
                    plan.setdefault((m, w), []).append("torch")
            result.setdefault("n_params", {})[m] = info["n_params"]
            if not args.no_check:
                log(f"checking {m}: same weights, batch {spec.CHECK_BATCH}")
                apath = {fw: os.path.join(tmp.name, f"{m}.{fw}.check.npz") for fw in frameworks}
                for w in workers.values():  # both at once: nothing is timed here
                    w.send("check", model=m, batch=spec.CHECK_BATCH, weights=wpath, arrays=apath[w.framework])
                outs = {}
                for fw, w in workers.items():
                    o = w._read()
                    with np.load(apath[fw]) as f:
                        outs[fw] = (o, {k: f[k] for k in f.files})
                if with_torch:
                    result["checks"][m] = compare(m, *outs["tinygrad_lr"], *outs["torch"])
                else:
                    o, arr = outs["tinygrad_lr"]
                    finite = all(np.isfinite(a).all() for a in arr.values()) and math.isfinite(o["loss"])
                    result["checks"][m] = {"loss": (o["loss"], None), "pass": bool(finite), "tinygrad_lr_only": True}
        for fw in frameworks:
            workers[fw]("setup", model="overhead", batch=args.batch)
            plan.setdefault(("overhead", "add"), []).append(fw)
        # warm-up (the frameworks at once: untimed), and how many calls make one measurement: enough to fill
        # --min-time at the fastest warm-up call's pace (an overestimate of the time when the two ran side by side)
        calls = {}
        for (m, w), fws in plan.items():
            for fw in fws:
                workers[fw].send("time", model=m, workload=w, n=max(args.warmup, 1))
            for fw in fws:
                sec = workers[fw]._read()["seconds"]
                calls[(fw, m, w)] = max(1, min(200, math.ceil(args.min_time / max(min(sec), 1e-6))))
        log(f"warm-up done; {args.repeats} interleaved rounds")
        times = {fw: {} for fw in frameworks}
        for r in range(args.repeats):
            for (m, w), fws in plan.items():
                order = fws if r % 2 == 0 else fws[::-1]
                for fw in order:
                    if len(order) > 1 and args.pause:  # let the other worker's spinning BLAS/OpenMP threads go to
                        time.sleep(args.pause)         # sleep first: on 2 cores they would eat into this measurement
                    sec = workers[fw]("time", model=m, workload=w, n=calls[(fw, m, w)])["seconds"]
                    times[fw].setdefault(m, {}).setdefault(w, []).append(statistics.median(sec))
            log(f"round {r + 1}/{args.repeats} done")
        result["times"], result["calls"] = times, {"/".join(k): v for k, v in calls.items()}
    finally:
        for wk in workers.values():
            wk.close()
    if "lenet" in args.models and not args.no_memory and args.device == "cpu":
        result["memory"] = measure_memory(frameworks, args.device, args.threads, args.batch, env, log)
    tmp.cleanup()
    result["wall_seconds"] = time.perf_counter() - t_start
    rep = Report(result)
    print(rep.text())
    result["summary"] = rep.summary
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1, default=float)
        log(f"saved {args.json}")
    failed = [m for m, c in result["checks"].items() if not c["pass"]]
    if failed:
        print(f"\nCHECK FAILED for {failed}: the frameworks do not compute the same thing (see the check table)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One framework's benchmark process: `python -m benchmarks.worker --framework tinygrad_lr|torch [--device D]`.

The controller (`python -m benchmarks`) starts one worker per framework, so that NumPy's BLAS threads and
PyTorch's OpenMP threads never contend inside one process, and talks to it in JSON lines on stdin/stdout:
  {"cmd": "setup", "model": m, "batch": n, "weights": npz path or null, "save": npz path or null}
  {"cmd": "time", "model": m, "workload": w, "n": calls}    -> seconds of each call (device synchronized)
  {"cmd": "check", "model": m, "batch": n, "weights": ..., "arrays": npz path}   -> losses, η histories
  {"cmd": "quit"}
Anything the libraries print goes to stderr; stdout carries only the replies.

`--memory` instead measures the memory of a few training steps of one model in a fresh process and prints one
JSON line: the rise of the peak resident set size over the steps or, with --tracemalloc (for tinygrad_lr: NumPy
reports its buffers to tracemalloc), the peak traced bytes during one steady-state step.
"""
import argparse
import ctypes
import json
import os
import sys
import time
import traceback

import numpy as np

from . import spec

MMAP_THRESHOLD, TRIM_THRESHOLD = 1 << 30, (1 << 31) - 1


def keep_freed_memory():
    """The same glibc setting tinygrad_lr.backend makes at import (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD raised), made
    in every worker so that both frameworks allocate under the same rules. Returns whether glibc took it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-3, MMAP_THRESHOLD)) and bool(libc.mallopt(-1, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False


def load_impl(framework):
    if framework == "tinygrad_lr":
        from . import tl_impl as impl
    elif framework == "torch":
        from . import torch_impl as impl
    else:
        raise ValueError(f"unknown framework {framework!r}")
    return impl


def load_weights(path):
    if path is None:
        return None
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


class Worker:
    def __init__(self, framework, device, threads, malloc):
        self.malloc = malloc
        self.impl = load_impl(framework)
        if hasattr(self.impl, "set_threads"):
            self.impl.set_threads(threads)
        self.device = device
        self.sync = self.impl.synchronizer(device)
        self.benches, self.workloads = {}, {}

    def hello(self):
        info = {"framework": self.impl.NAME, "versions": self.impl.versions(), "malloc": self.malloc,
                "device": self.impl.device_name(self.device), "pid": os.getpid()}
        if self.impl.NAME == "torch":
            import torch
            info["threads"] = torch.get_num_threads()
        return info

    def setup(self, model, batch, weights=None, save=None):
        if model == "overhead":
            self.workloads[model] = {"add": self.impl.overhead(self.device)}
            return {"workloads": ["add"]}
        b = self.impl.Bench(model, self.device, load_weights(weights), batch)
        if save:
            np.savez(save, **b.weights)
        self.benches[model] = b
        self.workloads[model] = b.workloads()
        return {"workloads": list(self.workloads[model]), "n_params": b.n_params, "names": b.names}

    def time(self, model, workload, n):
        f, out = self.workloads[model][workload], []
        for _ in range(n):
            t = time.perf_counter()
            f()
            self.sync()
            out.append(time.perf_counter() - t)
        return {"seconds": out}

    def check(self, model, batch, weights, arrays):
        b = self.impl.Bench(model, self.device, load_weights(weights), batch)
        out, arr = b.check()
        np.savez(arrays, **arr)
        return out

    def serve(self, inp, out):
        out.write(json.dumps({"ok": True, **self.hello()}) + "\n")
        out.flush()
        for line in inp:
            msg = json.loads(line)
            cmd = msg.pop("cmd")
            if cmd == "quit":
                break
            try:
                reply = {"ok": True, **getattr(self, cmd)(**msg)}
            except Exception as e:  # reported to the controller, which stops with the traceback
                reply = {"ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()}
            out.write(json.dumps(reply) + "\n")
            out.flush()


def _proc_status_kib(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss():
    """Return freed heap pages to the OS (malloc_trim) and reset the kernel's peak-RSS mark (VmHWM) to the
    current RSS, so that the peak afterwards is the steps' own. Returns the RSS in KiB, or None if unsupported."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except (OSError, AttributeError):
        return None
    return _proc_status_kib("VmRSS")


def memory(framework, device, model, method, steps, use_tracemalloc, threads, batch):
    """Peak memory of `steps` training steps of a fresh model (one warm-up step first when tracing): live are the
    step's own network copy, its optimizer or learning-rate method and the batch.

    Without tracing: the rise of the peak resident set size (VmHWM, reset after set-up) over the steps, which
    counts every allocator (NumPy's, PyTorch's, oneDNN's workspaces). With tracing: tracemalloc's peak of the
    traced bytes during one steady-state step (NumPy's array buffers and Python objects)."""
    import gc
    import resource
    import tracemalloc
    if use_tracemalloc:
        tracemalloc.start()
    impl = load_impl(framework)
    if hasattr(impl, "set_threads"):
        impl.set_threads(threads)
    b = impl.Bench(model, device, None, batch)
    step = b.sgd_step() if method == "sgd" else b.method(method)[1]
    del b.net, b.params, b.v, b.weights  # the step holds its own copy of the network
    gc.collect()
    res = {"framework": framework, "model": model, "method": method, "batch": batch}
    if use_tracemalloc:
        step()
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        step()
        _, peak = tracemalloc.get_traced_memory()
        res.update(traced_live_before=base, traced_peak=peak)
        return res
    rss0 = reset_peak_rss()
    if rss0 is not None and _proc_status_kib("VmHWM") is not None:
        for _ in range(steps):
            step()
        res.update(rss_before_kib=rss0, rss_growth_kib=_proc_status_kib("VmHWM") - rss0, rss_method="VmHWM")
    else:  # no /proc: ru_maxrss is a high-water mark since the start (set-up included), a lower bound
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(steps):
            step()
        rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        res.update(rss_before_kib=rss0, rss_growth_kib=rss1 - rss0, rss_method="ru_maxrss")
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.worker", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--framework", required=True, choices=["tinygrad_lr", "torch"])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", 2)))
    ap.add_argument("--memory", action="store_true", help="measure the memory of a few steps, print one JSON line")
    ap.add_argument("--model", default="lenet")
    ap.add_argument("--method", default="sgd", choices=["sgd", "firstorder", "rthpo"])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--batch", type=int, default=spec.BATCH)
    ap.add_argument("--tracemalloc", action="store_true")
    args = ap.parse_args(argv)
    malloc = keep_freed_memory()  # before either framework is imported
    proto = os.fdopen(os.dup(1), "w")  # the reply stream; everything else printed goes to stderr
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    if args.memory:
        proto.write(json.dumps(memory(args.framework, args.device, args.model, args.method, args.steps,
                                      args.tracemalloc, args.threads, args.batch)) + "\n")
        proto.flush()
        return
    Worker(args.framework, args.device, args.threads, malloc).serve(sys.stdin, proto)


if __name__ == "__main__":
    main()

"""One runner for every grid: its cells are independent tasks, run in worker processes on this machine
(`LocalExecutor`, the default) or on a Dask distributed cluster (`DaskExecutor`, the optional extra `dask`).

A cell is (task, params, env, label): `task` names a function "package.module:function", imported where the cell
runs and called as `function(params, env, report)`; it returns a dict of plain values (numbers, strings, lists,
dicts, arrays). `params` (JSON values) are what make the cell what it is: their hash is the cell's key and its
file name. `env` is passed along but is not part of the key (e.g. where the data lives, which may differ between
machines). `report(**fields)` records the cell's progress (step, epoch, ...).

`run_cells` loads every cell whose file under `<out>/cells/` is valid, computes the others and writes each result
as it arrives, atomically (tinygrad_lr.checkpoint.save: .npz, no pickle, temp file + rename), from the process that
drives the grid; so re-running the same grid skips the finished cells, and a grid stopped anywhere (Ctrl-C, kill,
a lost machine, or `max_new`) is continued by running it again. A file that cannot be read, or whose stored key
and parameters are not the cell's, is recomputed, not trusted. While a cell runs, its worker keeps
`<out>/cells/<name>.running.json` up to date (throttled) and the driver prints the running cells' progress.

Same seeds, same numbers: a cell's result does not depend on the executor or the number of workers. Workers run
one cell at a time per process (the library's RNG and grad mode are per process), local workers are fresh
processes (spawn) with OPENBLAS/OMP/MKL threads set to 1, and Dask's nanny sets the same variables in the worker
processes it starts. Only timings (the result's own "seconds", the file's "meta") differ between runs.
"""
import concurrent.futures as cf
import hashlib
import importlib
import json
import math
import multiprocessing
import os
import re
import socket
import threading
import time

from tinygrad_lr import checkpoint

FORMAT = 1  # version of the cell file's layout (and part of every key)
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
               "NUMEXPR_NUM_THREADS")
SCHEMES = ("tcp", "tls", "inproc", "ucx", "ws", "wss")
EXECUTORS = ("local", "dask")


class RunnerError(ValueError):
    """A bad runner option (the CLI reports it in one line, exit status 2)."""


class CellFailed(RuntimeError):
    """A cell raised in its worker; the cells finished before it are saved."""


class Cell:
    """One task of a grid: `task` ("module:function"), `params` (JSON values: the key), `env` (passed to the task,
    not part of the key) and `label` (a readable name for logs and the file name)."""

    def __init__(self, task, params, env=None, label=None):
        if not isinstance(task, str) or ":" not in task:
            raise RunnerError(f"a cell's task is 'package.module:function', got {task!r}")
        self.task, self.params, self.env = task, dict(params), dict(env or {})
        try:
            self._canon = canonical({"format": FORMAT, "task": task, "params": self.params})
        except (TypeError, ValueError) as e:
            raise RunnerError(f"cell {label or task}: parameters must be finite JSON values ({e})") from None
        self.key = hashlib.sha256(self._canon.encode()).hexdigest()[:16]
        self.label = label or task.rsplit(":", 1)[1]
        self.name = f"{re.sub(r'[^A-Za-z0-9._=+-]+', '_', self.label)[:80]}-{self.key}"

    def __repr__(self):
        return f"Cell({self.label!r}, key={self.key})"


def canonical(obj):
    """The JSON text that identifies parameters: sorted keys, tuples as lists, no NaN/inf."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=False)


# ---- cell files -------------------------------------------------------------------------------------------------

def cell_path(out, cell, suffix=".npz"):
    return os.path.join(out, "cells", cell.name + suffix)


def load_cell(out, cell):
    """(result, None) from a valid cell file, else (None, why it is not used: None when there is no file)."""
    path = cell_path(out, cell)
    if not os.path.exists(path):
        return None, None
    try:
        stored = checkpoint.load(path)
    except ValueError as e:
        return None, f"unreadable ({e})"
    if not isinstance(stored, dict) or "result" not in stored:
        return None, "no result in it"
    if stored.get("key") != cell.key or stored.get("task") != cell.task:
        return None, "written for another cell"
    try:
        same = canonical(stored.get("params")) == canonical(cell.params)
    except (TypeError, ValueError):
        same = False
    if not same:
        return None, "its parameters are not this cell's"
    return stored["result"], None


def save_cell(out, cell, result, meta):
    checkpoint.save(cell_path(out, cell), {"format": FORMAT, "key": cell.key, "task": cell.task,
                                           "label": cell.label, "params": cell.params, "result": result,
                                           "meta": meta})


# ---- in the worker ----------------------------------------------------------------------------------------------

_ONE_CELL_AT_A_TIME = threading.Lock()  # the library's RNG and grad mode are per process
_THREADS_SET = []


def _limit_threads():
    """Threads to 1 for BLAS/OpenMP: the variables (read when a library starts, so set by the executors before the
    worker imports NumPy) and, when threadpoolctl is installed, the running libraries too."""
    if _THREADS_SET:
        return
    for v in THREAD_VARS:
        os.environ.setdefault(v, "1")
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:
        pass
    _THREADS_SET.append(True)


def _resolve(task):
    module, _, name = task.partition(":")
    fn = importlib.import_module(module)
    for part in name.split("."):
        fn = getattr(fn, part)
    return fn


class Progress:
    """`report(**fields)`: the running cell's progress, written (atomically, at most every `every` seconds unless
    force=True) to its .running.json when the folder is reachable from the worker; never fails the cell."""

    def __init__(self, path, label, every=1.0):
        self.path, self.label, self.every = path, label, every
        self.t0, self.last, self.fields = time.time(), 0.0, {}

    def __call__(self, force=False, **fields):
        self.fields.update(fields)
        now = time.time()
        if self.path is None or (not force and now - self.last < self.every):
            return
        self.last = now
        rec = {"label": self.label, **self.fields, "elapsed": round(now - self.t0, 3), "updated": now,
               "host": socket.gethostname(), "pid": os.getpid()}
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w") as f:
                json.dump(rec, f, default=float)
            os.replace(tmp, self.path)
        except (OSError, TypeError, ValueError):
            try:
                os.remove(tmp)
            except OSError:
                pass


def execute(task, params, env, progress_path=None, label=""):
    """Run one cell where it was sent: (result, meta)."""
    with _ONE_CELL_AT_A_TIME:
        _limit_threads()
        fn = _resolve(task)
        report = Progress(progress_path if progress_path and os.path.isdir(os.path.dirname(progress_path))
                          else None, label)
        t0 = time.perf_counter()
        result = fn(dict(params), dict(env), report)
        meta = {"seconds": time.perf_counter() - t0, "host": socket.gethostname(), "pid": os.getpid(),
                "finished": time.time(), "threads": os.environ.get("OPENBLAS_NUM_THREADS")}
        return result, meta


# ---- executors --------------------------------------------------------------------------------------------------

class _Executor:
    """start() / close(), or `with executor:` to keep one pool or client for several run_cells calls."""

    def __enter__(self):
        if not self.started:
            self.start()
        return self

    def __exit__(self, *exc):
        self.close(wait=exc[0] is None)


class LocalExecutor(_Executor):
    """`workers` fresh processes on this machine (spawn, BLAS/OpenMP threads 1), each running one cell at a time."""

    name = "local"

    def __init__(self, workers=None):
        workers = min(2, os.cpu_count() or 1) if workers is None else workers
        if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
            raise RunnerError(f"--workers must be an integer >= 1, got {workers!r}")
        self.workers, self.pool, self._saved_env = workers, None, None

    def start(self):
        # the workers read these when they import NumPy: set them here for the processes spawned below
        self._saved_env = {v: os.environ.get(v) for v in THREAD_VARS}
        os.environ.update({v: "1" for v in THREAD_VARS})
        self.pool = cf.ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))

    @property
    def started(self):
        return self.pool is not None

    def submit(self, *args):
        return self.pool.submit(execute, *args)

    def wait(self, futures, timeout):
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return done

    def cancel(self, futures):
        for f in futures:
            f.cancel()

    def close(self, wait=True):
        if self.pool is not None:
            self.pool.shutdown(wait=wait, cancel_futures=True)
            self.pool = None
        if self._saved_env is not None:
            for v, x in self._saved_env.items():
                if x is None:
                    os.environ.pop(v, None)
                else:
                    os.environ[v] = x
            self._saved_env = None

    def describe(self):
        return f"local executor, {self.workers} worker process{'es' if self.workers > 1 else ''}"


def check_scheduler(address):
    scheme = address.split("://", 1)[0] if "://" in address else None
    if scheme not in SCHEMES or not address.split("://", 1)[1]:
        raise RunnerError(f"--scheduler must be a Dask scheduler address such as tcp://HOST:PORT "
                          f"(schemes: {', '.join(SCHEMES)}), got {address!r}")
    if scheme in ("tcp", "tls") and not re.fullmatch(r"[^:/]+:\d+|\[[0-9a-fA-F:]+\]:\d+", address.split("://")[1]):
        raise RunnerError(f"--scheduler {address}: expected {scheme}://HOST:PORT")
    return address


class DaskExecutor(_Executor):
    """The workers of an existing Dask distributed cluster (`dask scheduler`, `dask worker tcp://HOST:PORT
    --nthreads 1`, or a LocalCluster): cells are submitted to it and their results come back to this process, which
    writes them; nothing needs to be shared between the machines but the package and the data."""

    name = "dask"

    def __init__(self, scheduler, timeout=20):
        self.scheduler, self.timeout, self.client = check_scheduler(scheduler), timeout, None
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise RunnerError("--executor dask needs Dask distributed: pip install 'tinygrad-lr[dask]' "
                              "(or pip install 'dask[distributed]')") from None

    def start(self):
        from distributed import Client
        try:
            self.client = Client(self.scheduler, timeout=self.timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise ConnectionError(f"cannot reach the Dask scheduler at {self.scheduler} within {self.timeout} s "
                                  f"({type(e).__name__}: {e})") from None

    @property
    def started(self):
        return self.client is not None

    def submit(self, task, params, env, progress_path, label):
        key = f"tinygrad-lr-cell-{hashlib.sha256(canonical([task, params]).encode()).hexdigest()[:16]}-" \
              f"{os.urandom(4).hex()}"
        return self.client.submit(execute, task, params, env, progress_path, label, key=key, pure=False)

    def wait(self, futures, timeout):
        # distributed.wait needs the default client; this one is not (set_as_default=False): poll the futures
        end = None if timeout is None else time.time() + timeout
        while True:
            done = {f for f in futures if f.done()}
            if done or (end is not None and time.time() >= end):
                return done
            time.sleep(0.02)

    def cancel(self, futures):
        if self.client is not None and futures:
            self.client.cancel(list(futures))

    def close(self, wait=True):
        if self.client is not None:
            self.client.close()
            self.client = None

    def describe(self):
        return f"Dask executor, scheduler {self.scheduler}"


def make_executor(executor="local", workers=None, scheduler=None):
    """An executor from the command-line options, checked (RunnerError names the bad option)."""
    if executor not in EXECUTORS:
        raise RunnerError(f"--executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if executor == "local":
        if scheduler is not None:
            raise RunnerError("--scheduler applies to --executor dask only")
        return LocalExecutor(workers)
    if workers is not None:
        raise RunnerError("--workers applies to --executor local only (a Dask cluster has its own workers: "
                          "start them with dask worker ... --nthreads 1)")
    if scheduler is None:
        raise RunnerError("--executor dask needs --scheduler tcp://HOST:PORT (the address `dask scheduler` prints)")
    return DaskExecutor(scheduler)


# ---- the driver -------------------------------------------------------------------------------------------------

class Report:
    """What run_cells did: `results` (one per cell, in order; None for a cell not computed yet), `loaded`,
    `computed`, `remaining` (cells still to compute: 0 when the grid is complete)."""

    def __init__(self, results, loaded, computed, remaining):
        self.results, self.loaded, self.computed, self.remaining = results, loaded, computed, remaining

    @property
    def complete(self):
        return self.remaining == 0


def run_cells(cells, out, executor=None, max_new=None, log=print, progress=True, poll=10.0, on_result=None):
    """Load the finished cells of `cells` from `<out>/cells`, compute the others on `executor` (default: a
    LocalExecutor), each written as it arrives; at most `max_new` new cells (None: all). `on_result(cell, result,
    meta)` is called for every computed cell as it is saved; every `poll` seconds the running cells' progress is
    logged (progress=False: not). A cell that raises stops the submission of new cells; the running ones are
    finished and saved, then CellFailed is raised. Returns a Report."""
    if max_new is not None and (not isinstance(max_new, int) or max_new < 0):
        raise RunnerError(f"max_new must be an integer >= 0, got {max_new!r}")
    os.makedirs(os.path.join(out, "cells"), exist_ok=True)
    results, by_key, todo = [None] * len(cells), {}, []
    for i, c in enumerate(cells):
        by_key.setdefault(c.key, []).append(i)
    for key, idx in by_key.items():
        c = cells[idx[0]]
        result, why = load_cell(out, c)
        if result is None:
            if why:
                log(f"[runner] {cell_path(out, c)}: {why}; recomputing it")
            todo.append(c)
        for i in idx:
            results[i] = result
    loaded = len(by_key) - len(todo)
    if loaded:
        log(f"[runner] {loaded} of {len(by_key)} cells already done in {os.path.join(out, 'cells')}")
    run_now = todo if max_new is None else todo[:max_new]
    if not run_now:
        return Report(results, loaded, 0, len(todo))
    executor = executor or LocalExecutor()
    log(f"[runner] computing {len(run_now)} cell{'s' if len(run_now) > 1 else ''} ({executor.describe()})")
    computed, failed = 0, None
    here = not executor.started  # started here: closed here
    if here:
        executor.start()
    futures = {}
    try:
        for c in run_now:
            prog = os.path.abspath(cell_path(out, c, ".running.json"))
            if os.path.exists(prog):
                os.remove(prog)
            futures[executor.submit(c.task, c.params, c.env, prog, c.label)] = c
        pending, last = set(futures), time.time()
        while pending:
            for f in executor.wait(pending, timeout=max(0.05, poll - (time.time() - last)) if progress else None):
                pending.discard(f)
                c = futures[f]
                if f.cancelled():  # after a failure
                    continue
                try:
                    result, meta = f.result()
                except Exception as e:  # a failed cell: no new ones, finish the running ones
                    if failed is None:
                        failed = (c, e)
                        executor.cancel([p for p in pending if not p.done()])
                        pending = {p for p in pending if not p.cancelled()}
                    continue
                meta["executor"] = executor.name
                save_cell(out, c, result, meta)
                computed += 1
                for i in by_key[c.key]:
                    results[i] = result
                try:
                    os.remove(cell_path(out, c, ".running.json"))
                except OSError:
                    pass
                if on_result is not None:
                    on_result(c, result, meta)
            if progress and pending and time.time() - last >= poll:
                last = time.time()
                _log_running(out, [futures[f] for f in pending], loaded + computed, len(by_key), log)
    except BaseException:  # Ctrl-C, kill: what finished is saved; stop the rest
        executor.cancel([f for f in futures if not f.done()])
        if here:
            executor.close(wait=False)
        log(f"[runner] stopped: {loaded + computed} of {len(by_key)} cells saved under {os.path.join(out, 'cells')}; "
            f"run the same command again to continue")
        raise
    if here:
        executor.close()
    if failed is not None:
        c, e = failed
        raise CellFailed(f"cell {c.label} failed: {type(e).__name__}: {e} ({loaded + computed} of {len(by_key)} "
                         f"cells saved; fix it and run the same command again to continue)") from e
    return Report(results, loaded, computed, len(todo) - computed)


def _log_running(out, cells, done, total, log):
    lines = []
    for c in cells:
        try:
            with open(cell_path(out, c, ".running.json")) as f:
                p = json.load(f)
        except (OSError, ValueError):
            continue
        parts = []
        if "epoch" in p:
            parts.append(f"epoch {p['epoch']}" + (f"/{p['epochs']}" if "epochs" in p else ""))
        if "step" in p:
            s = f"step {p['step']}"
            if p.get("steps"):
                s += f"/{p['steps']} ({100 * p['step'] / p['steps']:.0f}%)"
            parts.append(s)
        if isinstance(p.get("loss"), (int, float)) and math.isfinite(p["loss"]):
            parts.append(f"loss {p['loss']:.4g}")
        parts.append(f"{p.get('elapsed', 0):.0f} s")
        lines.append(f"[runner]   {c.label}: {', '.join(parts)}")
    log(f"[runner] {done} of {total} cells done, {len(cells)} submitted" + (", running:" if lines else ""))
    for line in lines:
        log(line)


def add_args(p, default_out=None):
    """The runner's options, for any grid's command line."""
    g = p.add_argument_group("how the cells run (a grid stopped anywhere is continued by running the same command "
                             "again: finished cells are read from <out>/cells)")
    g.add_argument("--executor", default="local", choices=EXECUTORS,
                   help="local: worker processes on this machine (default); dask: the workers of a Dask "
                        "distributed cluster (needs --scheduler; pip install 'tinygrad-lr[dask]')")
    g.add_argument("--workers", type=int, default=None,
                   help="worker processes of --executor local (default: min(2, CPU count))")
    g.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="the Dask scheduler's address, for --executor dask")
    g.add_argument("--max-cells", type=int, default=None, metavar="N",
                   help="compute at most N new cells, then stop (run the same command again to continue)")


def from_args(args):
    """The executor the options ask for, checked; RunnerError names a bad option."""
    if args.max_cells is not None and args.max_cells < 1:
        raise RunnerError(f"--max-cells must be >= 1, got {args.max_cells}")
    return make_executor(args.executor, args.workers, args.scheduler)

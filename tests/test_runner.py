"""The sweep runner (examples/common/runner.py) and `tinygrad-lr sweep` on it: a grid stopped half-way (told to do
only some cells, or killed) and continued gives the same results as one uninterrupted run; local with 1 and 2
workers and a Dask LocalCluster give bit-identical cell results; a corrupted, truncated or foreign cell file is
recomputed, not trusted; a failing cell stops the grid with the finished cells saved; bad options are one-line
errors. Cells are tiny MLPs on synthetic data (tiny_task below) or on 256 MNIST images."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tinygrad_lr.examples.common import runner
from tinygrad_lr.examples.common.runner import Cell, DaskExecutor, LocalExecutor, run_cells
from helpers import runs_without_times

ROOT = Path(__file__).resolve().parents[1]
TASK = f"{__name__}:tiny_task"


def tiny_task(params, env, report):
    """A runner task: an 8-16-3 MLP on 64 seeded synthetic points, `steps` SGD steps."""
    import tinygrad_lr as tl
    from tinygrad_lr import Tensor, models, optim
    from tinygrad_lr.train import train_step
    if params.get("fail"):
        raise ValueError("this cell fails on purpose")
    rng = np.random.default_rng(params["seed"])
    x, y = Tensor(rng.standard_normal((64, 8)).astype(np.float32)), Tensor(rng.integers(0, 3, 64))
    tl.manual_seed(params["seed"])
    model = models.MLP([8, params.get("hidden", 16), 3])
    opt = optim.SGD(model.parameters(), lr=params["lr"], momentum=0.9)
    for step in range(params.get("steps", 20)):
        loss, _ = train_step(model, opt, x, y)
        report(step=step + 1, steps=params.get("steps", 20), loss=float(loss.item()))
        time.sleep(params.get("sleep", 0.0))
    return {"loss": float(loss.item()), "w": model.parameters()[0].numpy(), "env": env.get("tag")}


def grid(tag="a", **extra):
    return [Cell(TASK, {"lr": lr, "seed": s, **extra}, {"tag": tag}, f"lr{lr}_s{s}")
            for lr in (0.05, 0.2) for s in (0, 1, 2)]


def same(a, b):
    assert len(a) == len(b)
    for r, q in zip(a, b):
        assert r.keys() == q.keys()
        for k in r:
            if isinstance(r[k], np.ndarray):
                assert r[k].dtype == q[k].dtype and np.array_equal(r[k], q[k]), k
            else:
                assert r[k] == q[k], k


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The synthetic grid, uninterrupted, in 1 worker process."""
    rep = run_cells(grid(), str(tmp_path_factory.mktemp("ref")), LocalExecutor(1), log=lambda s: None)
    assert rep.complete and rep.computed == 6 and rep.loaded == 0
    return rep.results


def test_cell_key_is_the_hash_of_task_and_parameters():
    a = Cell(TASK, {"lr": 0.1, "sizes": (8, 3), "seed": 0}, {"root": "/x"})
    b = Cell(TASK, {"seed": 0, "sizes": [8, 3], "lr": 0.1}, {"root": "/elsewhere"}, "named")
    assert a.key == b.key and len(a.key) == 16 and b.name == f"named-{a.key}"  # env and label are not the key
    assert Cell(TASK, {"lr": 0.1000001, "sizes": (8, 3), "seed": 0}).key != a.key
    assert Cell("other.module:task", {"lr": 0.1, "sizes": (8, 3), "seed": 0}).key != a.key
    with pytest.raises(runner.RunnerError, match="finite JSON"):
        Cell(TASK, {"lr": float("nan")})
    with pytest.raises(runner.RunnerError, match="finite JSON"):
        Cell(TASK, {"lr": object()})
    with pytest.raises(runner.RunnerError, match="module:function"):
        Cell("no_colon", {})


def test_one_and_two_workers_and_dask_give_identical_cells(tmp_path, reference):
    distributed = pytest.importorskip("distributed")
    two = run_cells(grid(), str(tmp_path / "two"), LocalExecutor(2), log=lambda s: None)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        dask = run_cells(grid(), str(tmp_path / "dask"), DaskExecutor(cluster.scheduler_address),
                         log=lambda s: None)
    same(reference, two.results)
    same(reference, dask.results)
    assert [r["env"] for r in dask.results] == ["a"] * 6  # env reaches the task
    # and the files say so: same parameters, same result, the executor recorded beside it
    for c in grid():
        stored = [runner.checkpoint.load(runner.cell_path(str(tmp_path / d), c)) for d in ("two", "dask")]
        same([stored[0]["result"]], [stored[1]["result"]])
        assert [s["meta"]["executor"] for s in stored] == ["local", "dask"]


def test_dask_worker_processes_over_tcp_give_identical_cells(tmp_path, reference):
    """A LocalCluster of worker processes (what `dask worker` starts): the tasks travel over tcp://, the nanny sets
    the BLAS threads to 1, the numbers are the same."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        rep = run_cells(grid(), str(tmp_path), DaskExecutor(cluster.scheduler_address), log=lambda s: None)
    same(reference, rep.results)
    meta = runner.checkpoint.load(runner.cell_path(str(tmp_path), grid()[0]))["meta"]
    assert meta["threads"] == "1" and meta["pid"] != os.getpid()


def test_stopped_half_way_and_continued_equals_one_run(tmp_path, reference):
    out, logs = str(tmp_path), []
    part = run_cells(grid(), out, LocalExecutor(2), max_new=2, log=logs.append)
    assert not part.complete and part.computed == 2 and part.remaining == 4
    assert sum(r is not None for r in part.results) == 2
    assert len(saved(tmp_path)) == 2
    rest = run_cells(grid(), out, LocalExecutor(1), log=logs.append)
    assert rest.complete and rest.loaded == 2 and rest.computed == 4
    same(reference, rest.results)
    again = run_cells(grid(), out, LocalExecutor(1), log=logs.append)  # nothing left: nothing runs
    assert again.loaded == 6 and again.computed == 0
    assert "[runner] 6 of 6 cells already done" in logs[-1]


def test_corrupted_truncated_and_foreign_cell_files_are_recomputed(tmp_path, reference):
    out, logs = str(tmp_path), []
    cells = grid()
    run_cells(cells, out, LocalExecutor(1), log=logs.append)
    paths = [Path(runner.cell_path(out, c)) for c in cells]
    data = paths[0].read_bytes()
    paths[0].write_bytes(data[: len(data) // 2])                         # truncated (a kill mid-copy)
    paths[1].write_bytes(b"\0" * 200)                                    # not a checkpoint
    shutil.copyfile(paths[3], paths[2])                                  # another cell's file under this name
    b = bytearray(paths[4].read_bytes())
    b[len(b) // 3] ^= 0xFF                                               # one flipped byte inside: CRC mismatch
    paths[4].write_bytes(bytes(b))
    logs.clear()
    rep = run_cells(cells, out, LocalExecutor(1), log=logs.append)
    assert rep.computed == 4 and rep.loaded == 2
    text = "\n".join(logs)
    assert text.count("recomputing it") == 4 and "unreadable" in text and "written for another cell" in text
    same(reference, rep.results)
    assert run_cells(cells, out, LocalExecutor(1), log=logs.append).loaded == 6


def test_a_failing_cell_stops_the_grid_and_keeps_the_finished_cells(tmp_path):
    cells = grid()[:2] + [Cell(TASK, {"lr": 0.1, "seed": 0, "fail": True}, label="bad")]
    with pytest.raises(runner.CellFailed, match="cell bad failed: ValueError: this cell fails on purpose"):
        run_cells(cells, str(tmp_path), LocalExecutor(1), log=lambda s: None)
    assert len(saved(tmp_path)) == 2


def test_running_cells_report_their_progress(tmp_path):
    logs = []
    cells = [Cell(TASK, {"lr": 0.1, "seed": 0, "steps": 12, "sleep": 0.1}, label="slow")]
    rep = run_cells(cells, str(tmp_path), LocalExecutor(1), log=logs.append, poll=0.3)
    assert rep.complete
    lines = [s for s in logs if s.startswith("[runner]   slow: step ")]
    assert lines and all("/12 (" in s and "loss" in s for s in lines), logs
    assert not list((tmp_path / "cells").glob("*.running.json"))  # removed once the result is saved


def test_bad_executor_options_are_clear_errors():
    make = runner.make_executor
    for kwargs, msg in [({"executor": "slurm"}, "--executor must be one of local, dask"),
                        ({"executor": "dask"}, "needs --scheduler"),
                        ({"executor": "local", "scheduler": "tcp://h:1"}, "--scheduler applies to --executor dask"),
                        ({"executor": "dask", "scheduler": "tcp://h:1", "workers": 2}, "--workers applies to"),
                        ({"executor": "local", "workers": 0}, "--workers must be an integer >= 1"),
                        ({"executor": "dask", "scheduler": "http://h:8786"}, "tcp://HOST:PORT"),
                        ({"executor": "dask", "scheduler": "tcp://nohostport"}, "tcp://HOST:PORT")]:
        with pytest.raises(runner.RunnerError, match=msg):
            make(**kwargs)


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    with pytest.raises(ConnectionError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_cells(grid(), str(tmp_path), DaskExecutor("tcp://127.0.0.1:9", timeout=1), log=lambda s: None)


def run_cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "tinygrad_lr", *args], cwd=ROOT, capture_output=True, text=True,
                          **kw)


@pytest.mark.parametrize("args, msg", [
    (["--executor", "dask"], "--executor dask needs --scheduler"),
    (["--scheduler", "tcp://localhost:8786"], "--scheduler applies to --executor dask only"),
    (["--workers", "0"], "--workers must be an integer >= 1"),
    (["--max-cells", "0"], "--max-cells must be >= 1"),
    (["--executor", "dask", "--scheduler", "localhost:8786"], "tcp://HOST:PORT"),
    (["--lr-bounds", "1", "0"], "lower bound 1.0 is above upper bound 0.0"),
    (["--max-growth", "0.5"], "max_growth of lr must be a number >= 1"),
])
def test_sweep_rejects_bad_runner_options_in_one_line(tmp_path, args, msg):
    r = run_cli("sweep", "--out", str(tmp_path), *args)
    assert r.returncode == 2 and r.stderr.startswith("tinygrad-lr sweep: error: ")
    assert msg in r.stderr and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


# ---- tinygrad-lr sweep on the runner, with MNIST ----------------------------------------------------------------

from conftest import shared_data_root  # noqa: E402

needs_mnist = pytest.mark.skipif(shared_data_root() is None, reason="needs MNIST in ../shared/data")


def sweep_args(out, *extra):
    return ["sweep", "--method", "sgd", "firstorder", "--lrs", "0.05", "0.2", "--hyper-lrs", "1e-4", "1e-3",
            "--seeds", "0", "1", "--epochs", "1", "--train-size", "256", "--batch-size", "64", "--sizes", "784",
            "16", "10", "--data-root", str(shared_data_root()), "--out", str(out), "--no-progress", *extra]


def saved(out):
    """The cell files of a sweep (not the temp files of a write that was cut short)."""
    return [p for p in (Path(out) / "cells").glob("*.npz") if not p.name.startswith(".tmp-")]


@pytest.fixture(scope="module")
def sweep_reference(tmp_path_factory):
    from tinygrad_lr.cli import main
    out = tmp_path_factory.mktemp("sweep_ref")
    assert main(sweep_args(out, "--workers", "1")) == 0
    return out


@needs_mnist
def test_sweep_killed_half_way_and_continued_gives_the_same_runs(tmp_path, sweep_reference):
    """The CLI in its own process group, killed (SIGKILL: no clean-up) once its first cell is saved; the same
    command again (2 workers) finishes the grid: runs.json equal to one uninterrupted run with 1 worker."""
    from tinygrad_lr.cli import main
    proc = subprocess.Popen([sys.executable, "-m", "tinygrad_lr", *sweep_args(tmp_path, "--workers", "1")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        t0 = time.time()
        while not saved(tmp_path) and time.time() - t0 < 120 and proc.poll() is None:
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = len(saved(tmp_path))
    assert 1 <= done < 8 and not (tmp_path / "runs.json").exists()
    assert main(sweep_args(tmp_path, "--workers", "2")) == 0
    assert runs_without_times(tmp_path) == runs_without_times(sweep_reference)
    assert len(saved(tmp_path)) == 8  # 6 grid cells + 2 best cells with seed 1


@needs_mnist
def test_sweep_in_pieces_with_max_cells_and_on_dask(tmp_path, sweep_reference, capsys):
    from tinygrad_lr.cli import main
    distributed = pytest.importorskip("distributed")
    for n in (3, 6):  # 3 + 3 cells: the grid's stage; then the seeds' stage (2 cells)
        assert main(sweep_args(tmp_path / "pieces", "--max-cells", "3", "--workers", "1")) == 0
        assert "run the same command again to continue" in capsys.readouterr().out
        assert len(saved(tmp_path / "pieces")) == n and not (tmp_path / "pieces" / "runs.json").exists()
    assert main(sweep_args(tmp_path / "pieces", "--max-cells", "3", "--workers", "1")) == 0
    assert "6 of 6 cells already done" in capsys.readouterr().out and len(saved(tmp_path / "pieces")) == 8
    assert runs_without_times(tmp_path / "pieces") == runs_without_times(sweep_reference)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        assert main(sweep_args(tmp_path / "dask", "--executor", "dask", "--scheduler",
                               cluster.scheduler_address)) == 0
    assert runs_without_times(tmp_path / "dask") == runs_without_times(sweep_reference)
    s = json.loads((tmp_path / "dask" / "summary.json").read_text())
    assert s["train_size"] == 256 and [r["method"] for r in s["summary"]] == ["sgd", "firstorder"]


# ---- Table 1's LeNet row, the committed cells, the claims' verdicts ---------------------------------------------

def test_committed_table1_cells_keep_their_keys():
    """The cells committed under docs/results/table1_*/cells are found again by the sweep's own cell(): a change of
    the cell parameters (e.g. adding the model option) must not orphan hours of finished runs."""
    from tinygrad_lr import checkpoint
    from tinygrad_lr.examples.sweep.compute import cell
    files = sorted((ROOT / "docs" / "results").glob("table1_*/cells/*.npz"))
    assert files, "no committed Table-1 cells"
    for f in files:
        d = checkpoint.load(str(f))
        p = d["params"]
        settings = {k: p[k] for k in ("epochs", "sizes", "batch", "optimizer", "train_size", "hyperparams", "model")}
        settings["guard"] = p.get("guard")
        c = cell(p["method"], p["lr"], p["hyper_lr"], p["seed"], settings)
        assert c.key == d["key"] and f.name == c.name + ".npz", f.name


@needs_mnist
def test_sweep_trains_lenet_cells(tmp_path, capsys):
    from tinygrad_lr.cli import main
    args = ["sweep", "--model", "lenet", "--method", "sgd", "--lrs", "0.1", "--seeds", "0", "--epochs", "1",
            "--train-size", "256", "--batch-size", "64", "--data-root", str(shared_data_root()), "--out",
            str(tmp_path), "--no-progress", "--workers", "1"]
    assert main(args) == 0
    runs = json.loads((tmp_path / "runs.json").read_text())
    assert len(runs) == 1 and runs[0]["model"] == "lenet" and runs[0]["train_size"] == 256
    assert np.isfinite(runs[0]["test_loss"]) and len(runs[0]["val_curve"]) == 1
    [f] = saved(tmp_path)
    assert f.name.startswith("lenet_sgd_lr0.1_s0-")
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["model"] == "lenet" and "convergence" in s and (tmp_path / "validation_curves.png").exists()
    assert "99.24" in capsys.readouterr().out  # the paper's LeNet numbers beside ours


def _run(method, lr, b, seed, acc, curve=(0.9, 0.95, 0.96, 0.97), seconds=60.0):
    return {"method": method, "lr": lr, "hyper_lr": b, "seed": seed, "test_accuracy": acc, "val_accuracy": acc,
            "val_curve": list(curve), "seconds": seconds}


def test_claims_and_convergence_verdicts_follow_the_data():
    from tinygrad_lr.examples.sweep.report import claims, convergence, summarize
    runs = []
    for m, accs, sec in (("firstorder", {(0.1, 1e-4): .980, (0.1, 1e-3): .970, (0.5, 1e-4): .975, (0.5, 1e-3): .960},
                          60),
                         ("firstorder-val", {(0.1, 1e-4): .979, (0.1, 1e-3): .978, (0.5, 1e-4): .970,
                                             (0.5, 1e-3): .969}, 90),
                         ("rthpo", {(0.1, 1e-4): .982, (0.1, 1e-3): .975, (0.5, 1e-4): .981, (0.5, 1e-3): .979}, 150)):
        runs += [_run(m, lr, b, 0, a, seconds=sec) for (lr, b), a in accs.items()]
    runs.append(_run("rthpo", 0.1, 1e-4, 1, .983, curve=(0.9, 0.95, 0.95, 0.98), seconds=150))
    summary = [summarize([r for r in runs if r["method"] == m], [0, 1])
               for m in ("firstorder", "firstorder-val", "rthpo")]
    c = {x["claim"].split(" is ")[0].split(" perform")[0]: x for x in claims(summary, runs)}
    # over η̄ at the best β (1e-4): firstorder std 0.25, firstorder-val 0.45, rthpo 0.05 -> RT-HPO most robust to η̄
    assert c["RT-HPO"]["most_robust"] == "rthpo" and c["RT-HPO"]["verdict_columns"] == "supported"
    assert c["RT-HPO"]["verdict_slices"] == "supported"  # no sgd runs: every η̄ counts
    # over β at the best η̄ (0.1): firstorder 0.5, firstorder-val 0.05, rthpo 0.35 -> First-order (Val) most robust
    assert c["First-order (Val)"]["verdict_columns"] == "supported"
    # the slices: each method at its most favourable η̄ (0.5 for rthpo: std 0.1 over β; 0.1 for firstorder-val: 0.05)
    assert c["First-order (Val)"]["most_favourable"]["rthpo"]["η̄"] == 0.5
    assert c["First-order (Val)"]["verdict_slices"].startswith("tied within 0.1 point: firstorder-val, rthpo")
    eq = c["First-order (Train), First-order (Val) and RT-HPO"]
    assert abs(eq["top_spread_points"] - 0.3) < 1e-9 and eq["verdict"].startswith("not supported")
    cost = [x for x in claims(summary, runs) if x["claim"].startswith("RT-HPO's cost")][0]
    assert abs(cost["ratio"] - 2.5) < 1e-9
    conv = convergence(runs, summary)
    assert conv["firstorder"]["stopped"] is False  # gained 1 point in the last epoch
    assert [round(g, 6) for g in conv["rthpo"]["last_quarter_gain"]] == [1.0, 3.0]
    flat = [_run("sgd", 0.1, 0.0, 0, .98, curve=(0.9, 0.98, 0.9805, 0.9801))]
    f = convergence(flat, [summarize(flat, [0])])["sgd"]
    assert f["stopped"] is True and abs(f["last_quarter_gain"][0] - (98.01 - 98.05)) < 1e-9


def test_claims_use_only_the_learning_rates_sgd_survives_and_flag_diverged_seeds():
    from tinygrad_lr.examples.sweep.report import claims, summarize
    runs = [_run("sgd", 0.1, 0.0, 0, .97), _run("sgd", 0.5, 0.0, 0, .10), _run("sgd", 0.05, 0.0, 0, .96)]
    for m in ("firstorder", "firstorder-val", "rthpo"):
        runs += [_run(m, lr, b, 0, .97 + lr / 10 + b) for lr in (0.05, 0.1, 0.5) for b in (1e-4, 1e-3)]
    runs += [_run("rthpo", 0.5, 1e-3, s, .0) for s in (1, 2)]  # the best cell diverges with seeds 1, 2
    summary = [summarize([r for r in runs if r["method"] == m], [0, 1, 2])
               for m in ("sgd", "firstorder", "firstorder-val", "rthpo")]
    out = claims(summary, runs)
    robust = [c for c in out if "η̄" in c["claim"] and "most robust" in c["claim"]][0]
    assert robust["stable_etas"] == [0.05, 0.1]  # SGD diverged at 0.5
    assert all(set(sl) == {1e-4, 1e-3} for sl in [{float(k) for k in v} for v in robust["slices"].values()])
    seeds = [c for c in out if c["claim"].startswith("rthpo's best cell")]
    assert len(seeds) == 1 and seeds[0]["diverged_seeds"] == [1, 2]
    assert not any(c["claim"].startswith("firstorder's best cell") for c in out)


def test_sweep_guard_is_a_cell_parameter_only_when_set_and_reaches_the_method():
    import tinygrad_lr as tl
    from tinygrad_lr.examples.common.methods import make_method
    from tinygrad_lr.examples.sweep.compute import cell
    base = {"epochs": 1, "sizes": [784, 16, 10], "batch": 64, "optimizer": "sgd", "train_size": 256,
            "hyperparams": ["lr"]}
    plain, none = cell("rthpo", 0.5, 1e-2, 0, base), cell("rthpo", 0.5, 1e-2, 0, {**base, "guard": None})
    guarded = cell("rthpo", 0.5, 1e-2, 0, {**base, "guard": {"lr_bounds": (0.0, 0.6)}})
    assert plain.key == none.key and "guard" not in plain.params
    assert guarded.key != plain.key and guarded.params["guard"] == {"lr_bounds": [0.0, 0.6]}
    assert "_guard_" in guarded.label
    assert "guard" not in cell("sgd", 0.5, 0.0, 0, {**base, "guard": {"lr_bounds": (0.0, 0.6)}}).params
    w = tl.Tensor(np.ones(3), requires_grad=True)
    h, _ = make_method("rthpo", [w], 0.5, 1e-2, lambda: (w * w).sum(), lr_bounds=(0.0, 0.6), max_growth=1.1)
    assert h.guards["lr"].bounds == (0.0, 0.6) and h.guards["lr"].max_growth == 1.1
    for _ in range(5):  # the hypergradient pushes η up; the guard keeps it <= 0.6
        h.step(lambda: (w * w).sum() * -1.0)
    assert 0.0 <= h.lr <= 0.6


def test_budget_comparison_reads_the_committed_convergence_check(capsys):
    """examples/sweep/budget.py on the committed 20- and 40-epoch Table-1 cells: one row per 40-epoch run, its
    numbers those of the cells."""
    from tinygrad_lr.examples.sweep import budget
    short, long = ROOT / "docs/results/table1_full", ROOT / "docs/results/table1_check40"
    rows = budget.compare(str(short), str(long))
    longs = budget.load_runs(str(long))
    assert len(rows) == len(longs) >= 9 and all(r["short_epochs"] == 20 and r["long_epochs"] == 40 for r in rows)
    sgd0 = next(r for r in rows if r["method"] == "sgd" and r["seed"] == 0)
    assert sgd0["test_long"] == 100 * longs[("sgd", 1.0, 0.0, 0)]["test_accuracy"]
    assert sgd0["test_short"] == 100 * budget.load_runs(str(short))[("sgd", 1.0, 0.0, 0)]["test_accuracy"]
    assert budget.main([str(short), str(long)]) == 0 and "| sgd (1, 0) | 0 |" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        budget.main([str(short), str(ROOT)])


@needs_mnist
def test_diagnose_replays_a_committed_lenet_rthpo_cell_and_checks_its_tangent(tmp_path, capsys):
    """examples/sweep/diagnose.py re-runs a Table-1 cell step for step: its η trace is the committed cell's (the sweep
    stores η every 10 steps), its tangent check agrees with central differences, and it writes the trace and figure."""
    from tinygrad_lr import checkpoint
    from tinygrad_lr.examples.sweep import diagnose
    [f] = sorted((ROOT / "docs/results/table1_lenet/cells").glob("lenet_rthpo_lr0.05_b0.0001_s0-*.npz"))
    committed = checkpoint.load(str(f))["result"]["lr_trace"]
    args = ["--cells", "lenet:0.05:1e-4", "--steps", "21", "--eig-every", "10", "--fd-steps", "4",
            "--data-root", str(shared_data_root()), "--out", str(tmp_path)]
    assert diagnose.main(args) == 0
    r = json.loads((tmp_path / "trace.json").read_text())
    tr = r["traces"]["lenet η̄=0.05 β=0.0001"]
    assert tr["lr"][:21:10] == committed[:3] and len(tr["loss"]) == 21
    assert tr["hypergrad"][0] is None and all(np.isfinite(tr["hypergrad"][1:]))
    assert tr["eig_step"] == [0, 10, 20] and all(np.isfinite(tr["lam_max"]))
    assert 0 < tr["z_norm"][0] < tr["z_norm"][-1]  # dw/dη grows while the gradients stay aligned
    [chk] = r["tangent_check"]
    assert chk["steps"] == 4 and chk["relative_error"] < 1e-5 and chk["z_norm"] > 0.1 and len(chk["tried"]) == 1
    assert (tmp_path / "rthpo_trace.png").stat().st_size > 10000
    # the first-order methods trace the same way (no tangent check: their z is one step's ∂Φ/∂η)
    fo = ["--method", "firstorder", "--cells", "lenet:0.05:1e-4", "--steps", "3", "--eig-every", "0",
          "--data-root", str(shared_data_root()), "--out", str(tmp_path / "fo")]
    assert diagnose.main(fo) == 0
    r = json.loads((tmp_path / "fo" / "trace.json").read_text())
    assert r["method"] == "firstorder" and r["tangent_check"] == [] and (tmp_path / "fo" / "firstorder_trace.png").exists()
    assert len(r["traces"]["lenet η̄=0.05 β=0.0001"]["lr"]) == 3
    with pytest.raises(SystemExit):
        diagnose.main(["--cells", "resnet:0.1:1e-3"])


def test_budget_comparison_of_the_committed_lenet_check_names_adadelta_without_eta():
    """AdaDelta's cells have no η̄ (lr None): the comparison table prints "–" for it instead of failing."""
    from tinygrad_lr.examples.sweep import budget
    rows = budget.compare(str(ROOT / "docs/results/table1_lenet"), str(ROOT / "docs/results/table1_lenet_check20"))
    assert len(rows) == 18 and all(r["short_epochs"] == 10 and r["long_epochs"] == 20 for r in rows)
    ada = [r for r in rows if r["method"] == "adadelta"]
    assert len(ada) == 3 and all(r["lr"] is None and r["test_short"] is not None for r in ada)
    assert "| adadelta (–, 0) | 0 |" in budget.table(rows)


def test_budget_figure_draws_every_run_of_the_longer_sweep(tmp_path, capsys):
    from tinygrad_lr.examples.sweep import budget
    out = tmp_path / "curves.png"
    assert budget.main([str(ROOT / "docs/results/table1_lenet"), str(ROOT / "docs/results/table1_lenet_check20"),
                        "--figure", str(out)]) == 0
    assert out.stat().st_size > 10000 and f"wrote {out}" in capsys.readouterr().out


def test_edges_flag_a_best_cell_without_a_neighbour_beyond_it():
    from tinygrad_lr.examples.sweep.report import edges, summarize
    runs = [_run("sgd", lr, 0.0, 0, a) for lr, a in ((0.1, 0.95), (0.5, 0.97), (1.0, 0.96))]
    runs += [_run("rthpo", lr, b, 0, 0.9 + 0.01 * i) for i, (lr, b) in
             enumerate((lr, b) for lr in (0.1, 0.5) for b in (1e-4, 1e-3))]  # best: η̄ 0.5, β 1e-3, both largest
    runs += [_run("adadelta", None, 0.0, 0, 0.98)]
    summary = [summarize([r for r in runs if r["method"] == m], [0]) for m in ("sgd", "rthpo", "adadelta")]
    e = edges(runs, summary)
    assert e == {"sgd": [], "adadelta": [],
                 "rthpo": ["η̄ = 0.5 is the largest tried", "β = 0.001 is the largest tried"]}
    # the committed MLP Table 1 is interior everywhere (its grid was widened for that)
    full = json.loads((ROOT / "docs/results/table1_full/summary.json").read_text())
    assert set(full["edges"]) == {"sgd", "expdecay", "adadelta", "firstorder", "firstorder-val", "rthpo"}
    assert all(not v for v in full["edges"].values())


def _synthetic_mnist(n=64, flat=True, seed=0):
    rng = np.random.default_rng(seed)
    shape = (n, 784) if flat else (n, 1, 28, 28)
    split = lambda: (rng.random(shape, dtype=np.float32), rng.integers(0, 10, n))  # noqa: E731
    return split(), split(), split()


def test_cost_interleaves_the_methods_and_takes_ratios_per_round(capsys):
    """examples/sweep/cost.py: every method timed once per round; each round's ratio to
    First-order (Train); the step is the sweep's (RT-HPO's validation batch included, so it costs more)."""
    from tinygrad_lr.examples.sweep import cost
    order = []
    times = cost.measure("mlp", _synthetic_mnist(), ["sgd", "firstorder", "rthpo"], rounds=3, steps=2, lr=0.05,
                         hyper_lr=1e-5, warmup=1, log=order.append)
    assert len(order) == 3 and all(len(t) == 3 and min(t) > 0 for t in times.values())
    s = cost.summarize(times)
    assert s["firstorder"]["ratio"] == [1.0, 1.0, 1.0]
    r = np.asarray(times["rthpo"]) / np.asarray(times["firstorder"])
    assert s["rthpo"]["ratio"] == [pytest.approx(np.median(r)), pytest.approx(r.min()), pytest.approx(r.max())]
    assert s["rthpo"]["ms"][0] == pytest.approx(1e3 * np.median(times["rthpo"]))
    assert cost.table({"mlp": s}).splitlines()[2].startswith("| mlp | sgd | ")


def test_cost_refuses_a_cell_that_diverges_and_bad_options(capsys):
    from tinygrad_lr.examples.sweep import cost
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="the loss is not finite"):
        cost.measure("mlp", _synthetic_mnist(), ["sgd", "firstorder"], rounds=1, steps=2, lr=1e30, hyper_lr=0.0)
    with pytest.raises(SystemExit):
        cost.main(["--methods", "sgd", "rthpo"])
    assert "must include firstorder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cost.main(["--rounds", "0"])
    assert "--rounds and --steps must be >= 1, got 0 and 40" in capsys.readouterr().err

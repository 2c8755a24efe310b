"""Which method should I use? Every learning-rate-free optimizer and every learning-rate method of this project
(config.METHODS) on the MNIST MLP and LeNet-5, each at its default learning rate and across a multiplier sweep
(x1e-2 ... x1e2 of its default: the robustness protocol of Mechanic and AlgoPerf), with several seeds: final test
accuracy, the validation curve, time per run and sensitivity to the learning rate, in one table (table.md, with
verdicts computed from the data) and one figure (accuracy_vs_multiplier.png). Also `tinygrad-lr which-method`.

The modules: config (the methods, their defaults, the options), compute (one training run per runner cell),
report (summary, sensitivity, verdicts, files), figures. Every run is a cell of examples/common/runner.py, in
worker processes (`--executor local --workers N`) or on a Dask cluster (`--executor dask --scheduler
tcp://HOST:PORT`); each result is saved under <out>/cells/ as it finishes and is not run again, so the grid can be
run in pieces (`--max-cells N`, or stopped anywhere) and continued by running the same command again.
"""
import sys

from ..common import runner as cells_runner
from ..common.files import out_dir
from . import report
from .compute import cell, train_run
from .config import METHODS, MODELS, MULTIPLIERS, add_args
from .figures import accuracy_figure, accuracy_heatmap


def _log_cell(log):
    def on_result(c, r, meta):
        log(f"[which-method] {c.label}: test accuracy {r['test_accuracy']:.4f}"
            f"{' (diverged)' if r['diverged'] else ''} ({r['seconds']:.1f} s)")
    return on_result


def cells(methods, models, multipliers, seeds, settings, root=None):
    """The grid, seed by seed (a grid cut short has every method's first seed first)."""
    return [cell(me, mo, mu, s, settings, root) for s in seeds for mo in models for me in methods
            for mu in multipliers]


def run(methods=tuple(METHODS), models=MODELS, multipliers=MULTIPLIERS, seeds=(0, 1, 2), epochs=10,
        out="runs/which_method", root=None, train_size=None, val_size=10000, batch=128, executor=None,
        max_cells=None, progress=True, log=print, poll=10.0):
    """Run (or continue) the grid. Writes runs.json/csv, summary.json/csv, table.md and accuracy_vs_multiplier.png
    and returns (rows, verdicts) once every cell is done; None when cells remain (run again to continue)."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise cells_runner.RunnerError(f"unknown method(s) {unknown}; choose from {list(METHODS)}")
    if any(not m > 0 for m in multipliers):
        raise cells_runner.RunnerError(f"--multipliers must be > 0, got {list(multipliers)}")
    multipliers = sorted({float(m) for m in multipliers} | {1.0})
    out = out_dir(out)
    settings = {"epochs": epochs, "batch": batch, "train_size": train_size, "val_size": val_size}
    grid = cells(list(methods), list(models), multipliers, list(seeds), settings, root)
    rep = cells_runner.run_cells(grid, out, executor, max_cells, log=log, progress=progress, poll=poll,
                                 on_result=_log_cell(log))
    if not rep.complete:
        log(f"[which-method] {rep.computed} cells computed, {rep.remaining} left: run the same command again to "
            f"continue (finished cells are read from {out}/cells)")
        return None
    runs = rep.results
    rows = report.summarize(runs)
    vs = report.verdicts(rows)
    report.write(out, runs, rows, vs, {**settings, "methods": list(methods), "models": list(models),
                                       "multipliers": multipliers, "seeds": list(seeds)})
    accuracy_figure(runs, f"{out}/accuracy_vs_multiplier.png")
    accuracy_heatmap(runs, f"{out}/accuracy_heatmap.png", epochs)
    print(report.table(rows))
    print("\n" + report.verdict_text(vs))
    return rows, vs


def main(args):
    """Run from parsed command-line options (config.add_args). A bad option: one line on stderr, exit status 2;
    data that cannot be had, a scheduler that cannot be reached or a failed cell: one line, exit status 1."""
    from tinygrad_lr.datasets import DatasetError
    try:
        executor = cells_runner.from_args(args)
        run(args.methods, args.models, args.multipliers, args.seeds, args.epochs, args.out, args.data_root,
            args.train_size, args.val_size, args.batch_size, executor, args.max_cells, not args.no_progress)
    except cells_runner.RunnerError as e:
        print(f"tinygrad-lr which-method: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except (DatasetError, ConnectionError, cells_runner.CellFailed) as e:
        print(f"tinygrad-lr which-method: {e}", file=sys.stderr)
        raise SystemExit(1) from None


__all__ = ["run", "main", "add_args", "cells", "train_run", "METHODS", "MODELS", "MULTIPLIERS"]

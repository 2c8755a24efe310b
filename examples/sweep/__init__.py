"""Grids over the initial learning rate η̄, the hyper-learning rate β and seeds, on the MNIST MLP.

For Table 1 of Majumder, Donini & Chaudhari (2019), "Learning the learning rate for gradient descent by gradient
descent": every (η̄, β) cell is trained with the first seed; the best cell is re-run with the other seeds, and
each method is summarised as in the paper (report.py). For LOSSGRAD (Wójcik, Maziarka & Tabor 2019, "LOSSGRAD:
automatic learning rate in gradient descent", arXiv:1902.07656; method lossgrad): the step size LOSSGRAD settles to
and the final loss, per initial η.

The modules: config (the paper's numbers, the command-line options), compute (the training runs), report (the
summary, its files and table), figures; `run` below chains them. Also `tinygrad-lr sweep`.

Every training run is a cell of examples/common/runner.py: the grid's cells of all methods first, then each
method's best cell with the other seeds, in worker processes (`--executor local --workers N`) or on a Dask cluster
(`--executor dask --scheduler tcp://HOST:PORT`). Each result is saved under <out>/cells/ as it finishes; running
the same command again skips the finished cells, so a sweep stopped anywhere (or cut into pieces with
`--max-cells N`) is continued by running it again, and gives the same numbers as one uninterrupted run.
"""
import sys

from ..common import runner as cells_runner
from ..common.files import out_dir, write_json
from .compute import grid, grid_cells, load_data, score, train_run
from .compute import cell as make_cell
from .config import NEEDS_BETA, PAPER, PAPER_LENET, PAPER_MLP, add_args
from .figures import grid_figure, lossgrad_figure, lr_figure, validation_figure
from .report import print_table, summarize
from . import report


def _log_cell(log):
    def on_result(cell, r, meta):
        p = cell.params
        what = (f"lr {p['lr']} hyper_lr {p['hyper_lr']} seed {p['seed']}")
        log(f"[{p['method']}] {what}: test accuracy {r['test_accuracy']:.4f} ({r['seconds']:.0f} s)")
    return on_result


def run(methods, lrs, hyper_lrs, seeds, epochs, out="runs/sweep", root=None, optimizer="sgd", progress=True,
        log=print, train_size=None, sizes=(784, 512, 256, 10), batch=128, hyperparams=("lr",), executor=None,
        max_cells=None, poll=10.0, model="mlp", guard=None):
    """Train every cell; train_size (optional) keeps only the first samples of the training split. executor: a
    runner executor (default: local worker processes); max_cells: compute at most that many new cells. Writes
    runs.json, runs.csv, summary.csv / summary.json and the figures and returns the summary once every cell is
    done; returns None when cells remain (max_cells reached: run again to continue). model: "mlp" (sizes) or
    "lenet" (LeNet-5). guard: {"lr_bounds": (lo, hi), "max_growth": g} (either optional) on the hypergradient
    methods' η (LRMethod.set_guard); None: unguarded, as the paper."""
    out = out_dir(out)
    settings = {"epochs": epochs, "sizes": list(sizes), "batch": batch, "optimizer": optimizer,
                "hyperparams": list(hyperparams), "train_size": train_size, "model": model,
                "guard": {k: v for k, v in (guard or {}).items() if v is not None} or None}
    executor = executor or cells_runner.LocalExecutor()
    kw = {"log": log, "progress": progress, "poll": poll, "on_result": _log_cell(log)}
    with executor:
        grids = {m: grid_cells(m, lrs, hyper_lrs, seeds[0], settings, root) for m in methods}
        first = cells_runner.run_cells([c for m in methods for c in grids[m]], out, executor, max_cells, **kw)
        if not first.complete:
            return _incomplete(out, first, log)
        results = iter(first.results)
        runs = {m: [next(results) for _ in grids[m]] for m in methods}
        again = []
        for m in methods:
            best = max(runs[m], key=score)
            again += [make_cell(m, best["lr"], best["hyper_lr"], s, settings, root) for s in seeds[1:]]
        left = None if max_cells is None else max_cells - first.computed
        second = cells_runner.run_cells(again, out, executor, left, **kw) if again else first
        if again and not second.complete:
            return _incomplete(out, second, log)
    results = iter(second.results if again else [])
    all_runs, summary = [], []
    for m in methods:
        runs[m] += [next(results) for _ in seeds[1:]]
        all_runs += runs[m]
        summary.append(summarize(runs[m], seeds))
    write_json(f"{out}/runs.json", all_runs)
    found = {"convergence": report.convergence(all_runs, summary), "edges": report.edges(all_runs, summary),
             "claims": report.claims(summary, all_runs, model)}
    report.write(out, all_runs, summary, {**found, "epochs": epochs, "lrs": lrs, "hyper_lrs": hyper_lrs,
                                          "seeds": seeds, "optimizer": optimizer, "train_size": all_runs[0]["train_size"],
                                          "sizes": list(sizes), "batch": batch, "hyperparams": list(hyperparams),
                                          "model": model, "guard": settings["guard"]})
    print_table(summary, model)
    if "lossgrad" in methods:
        lossgrad_figure([r for r in all_runs if r["method"] == "lossgrad"], f"{out}/lossgrad_lr.png")
    if any(m in NEEDS_BETA for m in methods):
        lr_figure(all_runs, summary, f"{out}/learning_rates.png")
    what = f"{'MLP 784-512-256-10' if model == 'mlp' else 'LeNet-5'} on MNIST, {epochs} epochs"
    validation_figure(all_runs, summary, f"{out}/validation_curves.png",
                      f"validation accuracy, each method's best cell\n{what}; seed {seeds[0]} thick, "
                      f"seeds {', '.join(map(str, seeds[1:]))} thin")
    if len(lrs) > 1:
        grid_figure(all_runs, summary, seeds[0], f"{out}/grid.png", f"test accuracy over the grid, {what}, "
                    f"seed {seeds[0]}")
    report.print_claims(found)
    return summary


def _incomplete(out, rep, log):
    log(f"[sweep] {rep.computed} cells computed, {rep.remaining} of this stage left: run the same command again to "
        f"continue (finished cells are read from {out}/cells)")
    return None


def main(args):
    """Run from parsed command-line options (config.add_args). A bad option: one line on stderr, exit status 2;
    data that cannot be had, a scheduler that cannot be reached or a failed cell: one line, exit status 1."""
    from tinygrad_lr.datasets import DatasetError
    try:
        if args.lr_bounds is not None or args.max_growth is not None:
            from tinygrad_lr.optim.guards import Guard
            try:  # the guard's own checks, before any cell runs
                Guard("lr", None if args.lr_bounds is None else tuple(args.lr_bounds), args.max_growth)
            except ValueError as e:
                raise cells_runner.RunnerError(f"--lr-bounds / --max-growth: {e}") from None
        executor = cells_runner.from_args(args)
        run(args.method, args.lrs, args.hyper_lrs, args.seeds, args.epochs, args.out, args.data_root,
            args.optimizer, not args.no_progress, train_size=args.train_size, sizes=tuple(args.sizes),
            batch=args.batch_size, hyperparams=tuple(args.hyperparams), executor=executor,
            max_cells=args.max_cells, model=args.model,
            guard={"lr_bounds": args.lr_bounds, "max_growth": args.max_growth})
    except cells_runner.RunnerError as e:
        print(f"tinygrad-lr sweep: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except (DatasetError, ConnectionError, cells_runner.CellFailed) as e:
        print(f"tinygrad-lr sweep: {e}", file=sys.stderr)
        raise SystemExit(1) from None


__all__ = ["run", "main", "add_args", "train_run", "grid", "load_data", "summarize", "print_table", "PAPER_MLP",
           "PAPER_LENET", "PAPER"]

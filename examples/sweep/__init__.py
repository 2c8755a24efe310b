"""Grids over the initial learning rate η̄, the hyper-learning rate β and seeds, on the MNIST MLP.

For Table 1 of Majumder, Donini & Chaudhari (2019), "Learning the learning rate for gradient descent by gradient
descent": every (η̄, β) cell is trained with the first seed; the best cell is re-run with the other seeds, and
each method is summarised as in the paper (report.py). For LOSSGRAD (Wójcik, Maziarka & Tabor 2019, "LOSSGRAD:
automatic learning rate in gradient descent", arXiv:1902.07656; method lossgrad): the step size LOSSGRAD settles to
and the final loss, per initial η.

The modules: config (the paper's numbers, the command-line options), compute (the training runs), report (the
summary, its files and table), figures; `run` below chains them. Also `tinygrad-lr sweep`.
"""
from ..common.files import out_dir, write_json
from .compute import grid, load_data, train_run
from .config import NEEDS_BETA, PAPER_MLP, add_args
from .figures import lossgrad_figure, lr_figure
from .report import print_table, summarize
from . import report


def run(methods, lrs, hyper_lrs, seeds, epochs, out="runs/sweep", root=None, optimizer="sgd", progress=True,
        log=print, train_size=None, sizes=(784, 512, 256, 10), batch=128, hyperparams=("lr",)):
    """Train every cell; train_size (optional) keeps only the first samples of the training split. Writes
    runs.json (after every method), runs.csv, summary.csv / summary.json and the figures; returns the summary."""
    out = out_dir(out)
    data = load_data(root, train_size)
    all_runs, summary = [], []
    for method in methods:
        runs = grid(method, lrs, hyper_lrs, seeds, epochs, data, sizes, batch, optimizer, progress, log,
                    hyperparams)
        all_runs += runs
        summary.append(summarize(runs, seeds))
        write_json(f"{out}/runs.json", all_runs)
    report.write(out, all_runs, summary, {"epochs": epochs, "lrs": lrs, "hyper_lrs": hyper_lrs, "seeds": seeds,
                                          "optimizer": optimizer, "train_size": train_size or len(data[0][0]),
                                          "sizes": list(sizes), "batch": batch, "hyperparams": list(hyperparams)})
    print_table(summary)
    if "lossgrad" in methods:
        lossgrad_figure([r for r in all_runs if r["method"] == "lossgrad"], f"{out}/lossgrad_lr.png")
    if any(m in NEEDS_BETA for m in methods):
        lr_figure(all_runs, summary, f"{out}/learning_rates.png")
    return summary


def main(args):
    """Run from parsed command-line options (config.add_args)."""
    run(args.method, args.lrs, args.hyper_lrs, args.seeds, args.epochs, args.out, args.data_root, args.optimizer,
        not args.no_progress, train_size=args.train_size, sizes=tuple(args.sizes), batch=args.batch_size,
        hyperparams=tuple(args.hyperparams))


__all__ = ["run", "main", "add_args", "train_run", "grid", "load_data", "summarize", "print_table", "PAPER_MLP"]

"""tinygrad-lr: the experiments of the source documents from the command line (also `python -m tinygrad_lr`).

Each subcommand writes its figures (PNG) and metrics (JSON, CSV) under runs/<experiment>/ by default."""
import argparse
import sys


def _positive_int(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def _beale(args):
    from .experiments import beale
    beale.run(args.iters, args.out, plots=not args.no_plots, jobs=args.jobs)


def _rmsprop(args):
    from .experiments import rmsprop_example
    _, ok = rmsprop_example.run(args.out)
    return 0 if ok else 1


def _train(args):
    from .experiments import train_cmd
    train_cmd.run(args)


def _sweep(args):
    from .experiments import sweep
    sweep.run(args.method, args.lrs, args.hyper_lrs, args.seeds, args.epochs, args.out, args.data_root,
              args.optimizer, not args.no_progress, train_size=args.train_size, sizes=tuple(args.sizes),
              batch=args.batch_size)


def _add_beale(p):
    import os
    p.add_argument("--iters", type=_positive_int, default=12000,
                   help="iterations per method (default 12000: Adam at the seed's η needs about 11,000)")
    p.add_argument("--out", default="runs/beale", help="output folder (default runs/beale)")
    p.add_argument("--no-plots", action="store_true", help="metrics only, no figures")
    p.add_argument("--jobs", type=_positive_int, default=min(2, os.cpu_count() or 1),
                   help="worker processes, one method each at a time (default: min(2, CPUs))")


def _add_rmsprop(p):
    p.add_argument("--out", default="runs/rmsprop-example", help="output folder (default runs/rmsprop-example)")


def _add_sweep(p):
    from .experiments.common import METHODS
    p.add_argument("--method", nargs="+", default=["rthpo"], choices=METHODS,
                   help="one or more learning-rate methods (Table 1: sgd expdecay adadelta firstorder "
                        "firstorder-val rthpo; seed 002: lossgrad)")
    p.add_argument("--lrs", type=float, nargs="+", default=[0.01, 0.05, 0.2], help="initial learning rates η̄")
    p.add_argument("--hyper-lrs", type=float, nargs="+", default=[1e-5, 1e-4, 1e-3], help="hyper-learning rates β")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="the grid uses the first; the best cell is re-run with the others")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "rmsprop", "adagrad"])
    p.add_argument("--sizes", type=int, nargs="+", default=[784, 512, 256, 10], help="MLP layer sizes")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--train-size", type=int, default=None, help="use only this many training samples")
    p.add_argument("--data-root", default=None)
    p.add_argument("--out", default="runs/sweep")
    p.add_argument("--no-progress", action="store_true")


def _add_train(p):
    from .experiments import train_cmd
    train_cmd.add_args(p)


COMMANDS = {  # name -> (help, add_args, run)
    "beale": ("seed 000: GD/GDM/NAG/Adam and their + variants on Beale's function (with AdaGrad, RMSprop, "
              "AdaDelta, First-order, RT-HPO): figures, metrics, verdicts on the seed's claims", _add_beale, _beale),
    "rmsprop-example": ("seed 001: the RMSProp-style worked example, step by step, against the seed's numbers",
                        _add_rmsprop, _rmsprop),
    "train": ("train any model x dataset x optimizer x learning-rate method (checkpoints, --resume)", _add_train,
              _train),
    "sweep": ("grid over η̄, β and seeds: seed 003's Table 1 robustness summary, LOSSGRAD's η sensitivity",
              _add_sweep, _sweep),
}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="tinygrad-lr", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    for name, (help_, add, fn) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        add(p)
        p.set_defaults(func=fn)
    args = ap.parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())

"""tinygrad-lr: the studies in tinygrad_lr.examples from the command line (also `python -m tinygrad_lr`).

Each subcommand writes its figures (PNG) and metrics (JSON, CSV) under runs/<experiment>/ by default."""
import argparse
import sys

# This module only dispatches: each experiment (its options, computation, report and figures) is a package of
# tinygrad_lr.examples, imported when its subcommand is set up or run, so the library never imports the studies.


def _beale():
    from .examples import beale
    return beale


def _rmsprop_example():
    from .examples import rmsprop_example
    return rmsprop_example


def _lecture():
    from .examples import lecture
    return lecture


def _train():
    from .examples import train
    return train


def _sweep():
    from .examples import sweep
    return sweep


def _which_method():
    from .examples import which_method
    return which_method


COMMANDS = {  # name -> (help, the experiment's package, imported on demand)
    "beale": ("Fischer (2020): GD/GDM/NAG/Adam and their + variants on Beale's function (with AdaGrad, RMSprop, "
              "AdaDelta, First-order, RT-HPO): figures, metrics, verdicts on the post's claims", _beale),
    "rmsprop-example": ("the RMSProp-style worked example of \"Introduction to neural network optimizers, part 2\", "
                        "step by step, against the post's numbers", _rmsprop_example),
    "lecture": ("Ye, \"Adaptive learning rates\" (slides): AdaGrad's shrinking step, AdaDelta and ε, annealing, "
                "diagonal vs full Newton, each claim judged on small problems", _lecture),
    "train": ("train any model x dataset x optimizer x learning-rate method (checkpoints, --resume)", _train),
    "sweep": ("grid over η̄, β and seeds: Majumder et al. (2019)'s Table 1 robustness summary, LOSSGRAD's "
              "(Wójcik et al. 2019) η sensitivity", _sweep),
    "which-method": ("which method should I use? every learning-rate-free optimizer and learning-rate method on the "
                     "MNIST MLP and LeNet, at its default and x1e-2..x1e2 of it, over seeds: accuracy, time, "
                     "sensitivity, one table, one figure, verdicts", _which_method),
}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="tinygrad-lr", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    for name, (help_, experiment) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        experiment().add_args(p)
        p.set_defaults(func=experiment)
    args = ap.parse_args(argv)
    return args.func().main(args) or 0


if __name__ == "__main__":
    sys.exit(main())

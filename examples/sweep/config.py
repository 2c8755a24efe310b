"""The sweep's settings: the numbers of Table 1 of Majumder, Donini & Chaudhari (2019), "Learning the learning
rate for gradient descent by gradient descent" (MLP on MNIST), which methods have a hyper-learning rate β, and the
command-line options."""
from ..common import runner
from ..common.methods import LR_FREE, METHODS
from ..common.data import add_data_root

PAPER_MLP = {  # Majumder et al. (2019), Table 1, MLP on MNIST: fixed η̄, fixed β, top, minutes per run
    "firstorder": ("98.37 ± 0.05", "98.19 ± 0.17", "98.43", 14),
    "firstorder-val": ("98.27 ± 0.24", "98.23 ± 0.16", "98.43", 32),
    "rthpo": ("98.42 ± 0.08", "98.30 ± 0.01", "98.49", 14),
    "sgd": ("-", "97.49 ± 1.60", "98.67", None),
    "adadelta": ("-", "-", "98.62", 14),
}
PAPER_LENET = {  # the same table, LeNet on MNIST
    "firstorder": ("99.06 ± 0.29", "98.69 ± 0.89", "99.32", 12),
    "firstorder-val": ("99.22 ± 0.17", "99.08 ± 0.17", "99.38", 30),
    "rthpo": ("99.32 ± 0.04", "99.24 ± 0.13", "99.36", 12),
    "sgd": ("-", "98.97 ± 0.52", "99.24", None),
    "adadelta": ("-", "-", "99.38", 12),
}
PAPER = {"mlp": PAPER_MLP, "lenet": PAPER_LENET}
NEEDS_BETA = ("firstorder", "firstorder-val", "rthpo", "rthpo-train")


def add_args(p):
    """The options of `tinygrad-lr sweep`."""
    p.add_argument("--method", nargs="+", default=["rthpo"], choices=METHODS,
                   help="one or more learning-rate methods (Majumder et al. (2019)'s Table 1: sgd expdecay adadelta "
                        "firstorder firstorder-val rthpo; Wójcik et al. (2019): lossgrad)")
    p.add_argument("--lrs", type=float, nargs="+", default=[0.01, 0.05, 0.2], help="initial learning rates η̄")
    p.add_argument("--hyper-lrs", type=float, nargs="+", default=[1e-5, 1e-4, 1e-3], help="hyper-learning rates β")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="the grid uses the first; the best cell is re-run with the others")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "rmsprop", "adagrad"] + list(LR_FREE))
    p.add_argument("--hyperparams", nargs="+", default=["lr"], metavar="NAME",
                   help="what the hypergradient methods adapt (default lr), e.g. --hyperparams lr momentum")
    p.add_argument("--model", default="mlp", choices=["mlp", "lenet"],
                   help="mlp (784-512-256-10, --sizes) or lenet (LeNet-5): the two MNIST rows of Majumder et al.'s "
                        "Table 1")
    p.add_argument("--lr-bounds", type=float, nargs=2, default=None, metavar=("LOW", "HIGH"),
                   help="keep the hypergradient methods' η in [LOW, HIGH] (LRMethod.set_guard; default: unguarded, "
                        "as the paper)")
    p.add_argument("--max-growth", type=float, default=None,
                   help="cap the hypergradient methods' η growth per step: η_{t+1} <= MAX_GROWTH·η_t")
    p.add_argument("--sizes", type=int, nargs="+", default=[784, 512, 256, 10], help="MLP layer sizes")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--train-size", type=int, default=None, help="use only this many training samples")
    add_data_root(p, dask=True)
    p.add_argument("--out", default="runs/sweep",
                   help="output folder; each finished run is kept in <out>/cells/ and not run again")
    p.add_argument("--no-progress", action="store_true", help="do not log the running cells' progress")
    runner.add_args(p)

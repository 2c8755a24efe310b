"""`tinygrad-lr train`'s choices and command-line options: any model × dataset × optimizer × learning-rate method,
and the checks that run before any data is loaded (check_args)."""
import math
import os
import tempfile

from tinygrad_lr.hyper.tangent import ADAPTABLE

from ..common.methods import LR_FREE, METHODS, OPTIMIZER_HYPERPARAMS
from ..common.data import add_data_root

MODELS = ("mlp", "lenet", "lstm", "autoencoder", "lossgrad-cnn", "resnet18", "resnet20", "resnet56")
DATASETS = ("mnist", "fashion-mnist", "cifar10", "cifar100")
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad", "adadelta") + tuple(LR_FREE)
GRAY, COLOUR = ("mnist", "fashion-mnist"), ("cifar10", "cifar100")
# which datasets each model is built for: 1x28x28 (LeNet-5, the LSTM's 28 rows of 28, the 784-pixel autoencoder)
# or 3x32x32 (LOSSGRAD's CIFAR ConvNet, the CIFAR ResNets); the MLP takes either, flattened
COMPATIBLE = {"mlp": GRAY + COLOUR, "lenet": GRAY, "lstm": GRAY, "autoencoder": GRAY, "lossgrad-cnn": COLOUR,
              "resnet18": COLOUR, "resnet20": COLOUR, "resnet56": COLOUR}
USES_OPTIMIZER = ("sgd", "expdecay", "firstorder", "firstorder-val", "rthpo", "rthpo-train", "lossgrad")
USES_HYPER_LR = ("firstorder", "firstorder-val", "rthpo", "rthpo-train")
# the options that make a run what it is: a checkpoint written under other values is not resumed
RUN_KEYS = ("model", "dataset", "optimizer", "method", "lr", "hyper_lr", "momentum", "hyperparams", "batch_size",
            "val_size", "train_size", "seed")


class UsageError(ValueError):
    """A bad combination of options, reported in one line with exit status 2."""


def valid_pairs():
    return ", ".join(f"{m}: {'/'.join(ds)}" for m, ds in COMPATIBLE.items())


def add_args(p):
    """The options of `tinygrad-lr train`."""
    p.add_argument("--model", default="mlp", choices=MODELS, help="valid model: datasets pairs: " + valid_pairs())
    p.add_argument("--dataset", default="mnist", choices=DATASETS)
    p.add_argument("--optimizer", default=None, choices=list(OPTIMIZERS),
                   help="default sgd; the learning-rate-free ones (" + ", ".join(LR_FREE) + ") take --lr as their "
                        "multiplier (1.0 = the authors' setting, except schedulefree-*, mechanic-*)")
    p.add_argument("--method", default="sgd", choices=METHODS,
                   help="learning-rate method: sgd = the optimizer at fixed η; expdecay; adadelta; firstorder (Train); "
                        "firstorder-val; rthpo (E = validation loss, as in Majumder et al. 2019); rthpo-train; "
                        "lossgrad")
    p.add_argument("--lr", type=float, default=0.01, help="initial learning rate η̄")
    p.add_argument("--hyper-lr", type=float, default=None,
                   help=f"hyper-learning rate β (default 1e-4; methods {', '.join(USES_HYPER_LR)})")
    p.add_argument("--momentum", type=float, default=None, help="default 0 (--optimizer sgd only)")
    p.add_argument("--hyperparams", nargs="+", default=None, metavar="NAME",
                   help="the hyper-parameters the method adapts (default lr; methods "
                        f"{', '.join(USES_HYPER_LR)}): any of {', '.join(ADAPTABLE)} that the optimizer has, e.g. "
                        "--hyperparams lr momentum")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--val-size", type=int, default=10000, help="validation samples taken from the training set")
    p.add_argument("--train-size", type=int, default=None, help="use only this many training samples")
    p.add_argument("--seed", type=int, default=0)
    add_data_root(p)
    p.add_argument("--out", default="runs/train")
    p.add_argument("--resume", action="store_true",
                   help="continue from <out>/checkpoint.npz if it exists (written with the same settings)")
    p.add_argument("--no-progress", action="store_true")


def resolve(args):
    """Fill in the defaults that depend on other options (in place); returns args."""
    if args.optimizer is None:
        args.optimizer = "adadelta" if args.method == "adadelta" else "sgd"
    if args.hyper_lr is None:
        args.hyper_lr = 1e-4
    if args.momentum is None:
        args.momentum = 0.0
    if getattr(args, "hyperparams", None) is None:
        args.hyperparams = ["lr"]
    return args


def check_args(args):
    """Raise UsageError for options that are out of range, do not apply, or do not go together; run before any
    data is loaded. Fills in the defaults (resolve)."""
    if args.dataset not in COMPATIBLE[args.model]:
        raise UsageError(f"--model {args.model} does not train on --dataset {args.dataset}; valid pairs: "
                         + valid_pairs())
    for name in ("epochs", "batch_size", "val_size"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.train_size is not None and args.train_size < 1:
        raise UsageError(f"--train-size must be >= 1, got {args.train_size}")
    if not (math.isfinite(args.lr) and args.lr > 0):
        raise UsageError(f"--lr must be a finite number > 0, got {args.lr}")
    if args.hyper_lr is not None:
        if args.method not in USES_HYPER_LR:
            raise UsageError(f"--hyper-lr does not apply to --method {args.method} (only to "
                             f"{', '.join(USES_HYPER_LR)})")
        if not (math.isfinite(args.hyper_lr) and args.hyper_lr >= 0):
            raise UsageError(f"--hyper-lr must be a finite number >= 0, got {args.hyper_lr}")
    if args.optimizer is not None and args.method not in USES_OPTIMIZER and args.optimizer != "adadelta":
        raise UsageError(f"--optimizer does not apply to --method {args.method} (it is its own optimizer)")
    if args.momentum is not None:
        if (args.optimizer or "sgd") != "sgd" or args.method not in USES_OPTIMIZER:
            raise UsageError(f"--momentum applies to --optimizer sgd only, not to --optimizer "
                             f"{args.optimizer or 'adadelta'}" + (f" (--method {args.method})"
                                                                  if args.method not in USES_OPTIMIZER else ""))
        if not (math.isfinite(args.momentum) and 0 <= args.momentum < 1):
            raise UsageError(f"--momentum must be in [0, 1), got {args.momentum}")
    if getattr(args, "hyperparams", None) is not None:
        if args.method not in USES_HYPER_LR:
            raise UsageError(f"--hyperparams does not apply to --method {args.method} (only to "
                             f"{', '.join(USES_HYPER_LR)})")
        have = OPTIMIZER_HYPERPARAMS.get(args.optimizer or "sgd", ("lr",))
        bad = [n for n in args.hyperparams if n not in have]
        if bad or len(set(args.hyperparams)) != len(args.hyperparams):
            raise UsageError(f"--hyperparams {' '.join(args.hyperparams)}: --optimizer {args.optimizer or 'sgd'} can "
                             f"adapt {', '.join(have)}, each once")
    _check_out(args.out)
    return resolve(args)


def _writable(folder):
    """Can a file be created in `folder`? (Tried, not judged from permission bits, which root ignores.)"""
    try:
        fd, path = tempfile.mkstemp(prefix=".tinygrad-lr-probe-", dir=folder)
    except OSError:
        return False
    os.close(fd)
    os.remove(path)
    return True


def _check_out(out):
    if os.path.exists(out):
        if not os.path.isdir(out):
            raise UsageError(f"--out {out} exists and is not a folder")
        if not _writable(out):
            raise UsageError(f"--out {out} is not writable")
        return
    parent = os.path.dirname(os.path.abspath(out))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not _writable(parent):
        raise UsageError(f"--out {out} cannot be created: {parent} is not a writable folder")


def run_config(args):
    """The options that make the run what it is (RUN_KEYS), as recorded in its checkpoints."""
    return {k: getattr(args, k) for k in RUN_KEYS}

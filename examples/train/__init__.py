"""`tinygrad-lr train`: any model × dataset × optimizer × learning-rate method, with checkpoints and --resume.

The modules: config (the choices, the command-line options), compute (data, model, training), report
(metrics.json, history.csv), figures (training.png); `run` below chains them."""
import os
import sys

from tinygrad_lr.datasets import DatasetError

from ..common.files import out_dir
from .compute import build_model, check_resume, load_data, train
from .config import COMPATIBLE, DATASETS, MODELS, UsageError, add_args, check_args
from .figures import training_figure
from . import report


def run(args):
    """Train, evaluate and write <out>/metrics.json, history.csv, training.png, checkpoint.npz from parsed options
    (config.add_args). Returns what metrics.json holds. Raises UsageError (before loading any data) for bad
    options."""
    check_args(args)
    check_resume(args, args.out)
    out = out_dir(args.out)
    stepper, hist, test = train(args, out)
    res = report.write(out, args, stepper, hist, test)
    training_figure(hist, stepper, os.path.join(out, "training.png"))
    print("test " + " ".join(f"{k} {v:.4f}" for k, v in test.items()))
    print(f"wrote {out}/metrics.json, history.csv, training.png, checkpoint.npz")
    return res


def main(args):
    """Run from parsed command-line options (config.add_args). A bad option: one line on stderr, exit status 2; data
    that cannot be had: the loader's message, exit status 1; never a traceback for either."""
    try:
        run(args)
    except UsageError as e:
        print(f"tinygrad-lr train: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except DatasetError as e:
        print(f"tinygrad-lr train: {e}", file=sys.stderr)
        raise SystemExit(1) from None

__all__ = ["run", "main", "add_args", "check_args", "build_model", "load_data", "train", "MODELS", "DATASETS",
           "COMPATIBLE", "UsageError"]

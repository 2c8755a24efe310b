"""`tinygrad-lr train`: any model × dataset × optimizer × learning-rate method, with checkpoints and --resume.

The modules: config (the choices, the command-line options), compute (data, model, training), report
(metrics.json, history.csv), figures (training.png); `run` below chains them."""
import os

from ..common.files import out_dir
from .compute import build_model, load_data, train
from .config import DATASETS, MODELS, add_args
from .figures import training_figure
from . import report


def run(args):
    """Train, evaluate and write <out>/metrics.json, history.csv, training.png, checkpoint.npz from parsed options
    (config.add_args). Returns what metrics.json holds."""
    out = out_dir(args.out)
    stepper, hist, test = train(args, out)
    res = report.write(out, args, stepper, hist, test)
    training_figure(hist, stepper, os.path.join(out, "training.png"))
    print("test " + " ".join(f"{k} {v:.4f}" for k, v in test.items()))
    print(f"wrote {out}/metrics.json, history.csv, training.png, checkpoint.npz")
    return res


def main(args):
    """Run from parsed command-line options (config.add_args)."""
    run(args)

__all__ = ["run", "main", "add_args", "build_model", "load_data", "train", "MODELS", "DATASETS"]

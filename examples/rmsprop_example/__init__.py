"""The RMSProp worked example of the blog series "Introduction to neural network optimizers, part 2: adaptive
learning rates (RMSProp, AdaGrad)": E(w) = 3 w1² + 10 w2², w0 = (-15, 20), two steps of GD and of the
RMSProp-style scheme computed with tinygrad_lr, printed next to the post's numbers with a pass/fail at 2 decimals.

The modules: config (the settings, the post's numbers, the command-line option), compute (the steps), report (the
matches, the tables, metrics.json); `run` below chains them. Also `tinygrad-lr rmsprop-example` and
`python -m tinygrad_lr.examples.rmsprop_example [--out DIR]` (exit status 1 if a value does not match).
"""
from ..common.files import out_dir
from .compute import gradient_descent, rmsprop_scheme, run_all, torch_rmsprop
from .config import POST, add_args
from . import report


def run(out="runs/rmsprop-example", log=print):
    """Print and check the example; write metrics.json. Returns (rows, all_match) where rows are the four
    weight vectors the post gives (w(1), w(2) of both schemes)."""
    out = out_dir(out)
    rows, inter, ok = report.compare(run_all(rounded_w1=POST["RMSProp-style"][0]))
    report.log_report(rows, inter, ok, log)
    log(f"wrote {report.write(out, rows, inter, ok)}")
    return rows, ok


def main(args):
    """Run from parsed command-line options (config.add_args); 0 if every value matches, else 1."""
    _, ok = run(args.out)
    return 0 if ok else 1


__all__ = ["run", "main", "add_args", "gradient_descent", "rmsprop_scheme", "torch_rmsprop", "run_all"]

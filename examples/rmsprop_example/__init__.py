"""The RMSProp worked example of the blog series "Introduction to neural network optimizers, part 2: adaptive
learning rates (RMSProp, AdaGrad)": E(w) = 3 w1² + 10 w2², w0 = (-15, 20), two steps of GD and of the
RMSProp-style scheme computed with tinygrad_lr, printed next to the post's numbers with a pass/fail at 2 decimals.

The modules: config (the settings, the post's numbers, the command-line option), compute (the steps), report (the
matches, the tables, metrics.json); `run` below chains them. Also `tinygrad-lr rmsprop-example` and
`python -m tinygrad_lr.examples.rmsprop_example [--out DIR]` (exit status 1 if a value does not match).
tutorial.py and figures.py redraw the post's three figures (update vectors; trajectories with β = 0 and 0.9; the
C_a(g1, g2) maps) from our runs and judge what the post says about them.
"""
from ..common.files import out_dir
from .compute import gradient_descent, rmsprop_scheme, run_all, torch_rmsprop
from .config import POST, add_args
from . import figures, report, tutorial


def run(out="runs/rmsprop-example", log=print, plots=True, docs=None):
    """Print and check the example; write metrics.json; judge the post's statements about its three figures
    (tutorial.py: tutorial.json) and (plots=True) draw them (update_vectors.png, trajectories.png, c_a.png; docs:
    also copy them there as rmsprop_<name>.png). Returns (rows, all_match) where rows are the four weight vectors
    the post gives (w(1), w(2) of both schemes)."""
    out = out_dir(out)
    rows, inter, ok = report.compare(run_all(rounded_w1=POST["RMSProp-style"][0]))
    report.log_report(rows, inter, ok, log)
    files = [report.write(out, rows, inter, ok)]
    uv, trajs, maps = tutorial.update_vectors(), tutorial.trajectories(), tutorial.c_a_maps()
    judged = tutorial.verdicts(uv, trajs, maps)
    files.append(report.write_tutorial(out, judged, trajs, log))
    if plots:
        files += figures.draw_figures(out, uv, trajs, maps)
        if docs:
            files += figures.copy_to_docs(out, docs)
    log("wrote " + ", ".join(files))
    return rows, ok


def main(args):
    """Run from parsed command-line options (config.add_args); 0 if every value matches, else 1."""
    _, ok = run(args.out, plots=not args.no_plots, docs=args.docs)
    return 0 if ok else 1


__all__ = ["run", "main", "add_args", "gradient_descent", "rmsprop_scheme", "torch_rmsprop", "run_all"]

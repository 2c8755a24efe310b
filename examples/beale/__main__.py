"""python -m tinygrad_lr.examples.beale: the Beale experiment, the same as `tinygrad-lr beale` (see the
package's docstring), with one more option to copy the figures into the documentation.

Writes runs/beale/{trajectories,distance,learning_rates}.png, metrics.json, metrics.csv and trajectories.npz, and
prints the table and the verdicts on Fischer (2020)'s claims.

    python -m tinygrad_lr.examples.beale                       # 12,000 iterations per method
    python -m tinygrad_lr.examples.beale --iters 3000 --out /tmp/beale --jobs 1
    python -m tinygrad_lr.examples.beale --docs docs/figures   # also copy the figures to docs/figures/beale_*.png
    python -m tinygrad_lr.examples.beale --replot --out runs/beale   # only redraw the figures of that run
"""
import argparse
import sys

from . import add_args, run
from . import figures
from .figures import FIGURES, copy_to_docs


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.beale", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_args(ap)
    ap.add_argument("--docs", metavar="FOLDER", help="also copy the figures to FOLDER/beale_<figure>.png")
    args = ap.parse_args(argv)
    if args.docs and args.no_plots:
        ap.error("--docs needs the figures: drop --no-plots")
    if args.replot:
        if args.no_plots:
            ap.error("--replot draws the figures: drop --no-plots")
        print("redrew " + ", ".join(figures.redraw(args.out)))
    else:
        run(args.iters, args.out, plots=not args.no_plots, jobs=args.jobs, exact=args.exact,
            global_grid=args.global_grid)
    if args.docs:
        copy_to_docs(args.out, args.docs)
        print(f"copied the figures to {args.docs}/beale_{{{','.join(FIGURES)}}}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

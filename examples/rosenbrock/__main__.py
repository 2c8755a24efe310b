"""python -m tinygrad_lr.examples.rosenbrock: Figure 1 of Majumder, Donini & Chaudhari (2019) (see the package's
docstring). Writes runs/rosenbrock/rosenbrock.{json,png}.

    python -m tinygrad_lr.examples.rosenbrock
    python -m tinygrad_lr.examples.rosenbrock --docs   # also copy to docs/figures/ and docs/results/
"""
import argparse
import shutil
import sys

from . import run


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.rosenbrock", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="runs/rosenbrock")
    ap.add_argument("--restarts", type=int, default=24, help="starting schedules of the search (default 24)")
    ap.add_argument("--long-steps", type=int, default=10000, help="steps of the long 1/t run (default 10,000)")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--docs", action="store_true", help="copy the figure to docs/figures/rosenbrock_fig1.png and "
                    "the data to docs/results/rosenbrock_fig1.json")
    args = ap.parse_args(argv)
    run(args.out, args.restarts, args.long_steps, plots=not args.no_plots)
    if args.docs:
        shutil.copy(f"{args.out}/rosenbrock.json", "docs/results/rosenbrock_fig1.json")
        if not args.no_plots:
            shutil.copy(f"{args.out}/rosenbrock.png", "docs/figures/rosenbrock_fig1.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())

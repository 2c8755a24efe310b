"""python -m tinygrad_lr.examples.lossgrad [quadratic] [fmnist] [mnist]: the LOSSGRAD experiments (see the
package's docstring). Re-running the same command skips finished cells and resumes unfinished ones.

    python -m tinygrad_lr.examples.lossgrad quadratic                    # Section 3, about a minute
    python -m tinygrad_lr.examples.lossgrad fmnist mnist --jobs 2        # the two tables, 30 epochs per cell
    python -m tinygrad_lr.examples.lossgrad fmnist --epochs 2 --train-size 6000 --out /tmp/lg   # a quick look
    python -m tinygrad_lr.examples.lossgrad mnist --replot --out runs/lossgrad_tables   # figures from finished cells
"""
import argparse
import glob
import os
import shutil
import sys

from . import config, run


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.lossgrad", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    config.add_args(ap)
    ap.add_argument("--docs", action="store_true", help="copy the tables to docs/results/lossgrad_*.{json,csv} and "
                    "the figures to docs/figures/lossgrad_*.png")
    args = ap.parse_args(argv)
    if args.replot and args.no_plots:
        ap.error("--replot redraws the figures: drop --no-plots")
    run(args.what, args.out, args.epochs, args.seed, args.train_size, args.data_root, args.jobs,
        plots=not args.no_plots, replot=args.replot)
    if args.docs:
        for f in glob.glob(os.path.join(args.out, "*.json")) + glob.glob(os.path.join(args.out, "*.csv")):
            shutil.copy(f, os.path.join("docs/results", "lossgrad_" + os.path.basename(f)))
        for f in glob.glob(os.path.join(args.out, "*.png")):
            shutil.copy(f, os.path.join("docs/figures", "lossgrad_" + os.path.basename(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

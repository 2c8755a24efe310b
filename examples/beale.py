"""Seed 000 (Fischer 2020): GD, GDM, NAG, Adam and their "+" variants on Beale's function, with AdaGrad,
RMSprop, AdaDelta and the hypergradient methods (First-order, RT-HPO) for comparison.

The same as `tinygrad-lr beale` (or `python -m tinygrad_lr beale`); the experiment itself, with every choice
documented, is tinygrad_lr/experiments/beale.py. Writes runs/beale/{trajectories,distance,learning_rates}.png,
metrics.json, metrics.csv and trajectories.npz, and prints the table and the verdicts on the seed's claims.

    python -m examples.beale                       # 12,000 iterations per method
    python -m examples.beale --iters 3000 --out /tmp/beale --jobs 1
    python -m examples.beale --docs docs/figures   # also copy the figures to docs/figures/beale_*.png
"""
import os
import shutil
import sys

from tinygrad_lr.cli import main as cli_main

FIGURES = ("trajectories", "distance", "learning_rates")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    docs = None
    if "--docs" in argv:
        i = argv.index("--docs")
        if i + 1 >= len(argv):
            raise SystemExit("--docs needs a folder")
        docs = argv[i + 1]
        del argv[i:i + 2]
        if "--no-plots" in argv:
            raise SystemExit("--docs needs the figures: drop --no-plots")
    rc = cli_main(["beale", *argv])
    if docs and not rc:
        out = argv[argv.index("--out") + 1] if "--out" in argv else "runs/beale"
        os.makedirs(docs, exist_ok=True)
        for f in FIGURES:
            shutil.copyfile(os.path.join(out, f"{f}.png"), os.path.join(docs, f"beale_{f}.png"))
        print(f"copied the figures to {docs}/beale_{{{','.join(FIGURES)}}}.png")
    return rc


if __name__ == "__main__":
    sys.exit(main())

"""Seed 001's worked example (E(w) = 3 w1² + 10 w2², w0 = (-15, 20)): two steps of GD and of the RMSProp-style
scheme computed with tinygrad_lr, printed next to the seed's numbers with a pass/fail at 2 decimals.

The same as `tinygrad-lr rmsprop-example`; the computation is tinygrad_lr/experiments/rmsprop_example.py.
Writes runs/rmsprop-example/metrics.json; exits 1 if a value does not match.

    python -m examples.rmsprop_example [--out DIR]
"""
import sys

from tinygrad_lr.cli import main as cli_main


def main(argv=None):
    return cli_main(["rmsprop-example", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())

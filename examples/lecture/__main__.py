"""python -m tinygrad_lr.examples.lecture [--out DIR] [--scale S] [--docs docs/figures]: the same as
`tinygrad-lr lecture` (see the package's docstring)."""
import argparse
import sys

from . import add_args, main as run_from_args


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.lecture", description=__doc__)
    add_args(ap)
    return run_from_args(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

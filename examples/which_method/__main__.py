"""python -m tinygrad_lr.examples.which_method [options]: the same as `tinygrad-lr which-method`."""
import argparse
import sys

from . import add_args, main as run_from_args


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.which_method", description=__doc__)
    add_args(ap)
    return run_from_args(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

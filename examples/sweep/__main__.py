"""python -m tinygrad_lr.examples.sweep [options]: the same as `tinygrad-lr sweep`."""
import argparse
import sys

from . import add_args, main as run_from_args


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.sweep", description=__doc__)
    add_args(ap)
    return run_from_args(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

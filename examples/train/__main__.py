"""python -m tinygrad_lr.examples.train [options]: the same as `tinygrad-lr train`."""
import sys

from ..common.entry import module_main
from . import add_args, main as run_from_args

main = module_main(__package__, __doc__, add_args, run_from_args)

if __name__ == "__main__":
    sys.exit(main())

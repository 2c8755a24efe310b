"""`python -m tinygrad_lr.examples.<name>`: the same options and run as `tinygrad-lr <name>`, for the experiments
whose package exports add_args(parser) and main(args)."""
import argparse


def module_main(package, doc, add_args, run_from_args):
    """The main(argv=None) of a package's __main__.py: parse its options, run it, return its exit status."""
    def main(argv=None):
        ap = argparse.ArgumentParser(prog=f"python -m {package}", description=doc)
        add_args(ap)
        return run_from_args(ap.parse_args(argv))
    return main

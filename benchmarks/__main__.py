"""python -m benchmarks [name ...]: print the benchmark tables (all of them by default)."""
import argparse
import importlib

SUITES = ["engine", "hyper", "models"]


def main():
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("suites", nargs="*", metavar="suite", help=f"any of {SUITES} (default: all)")
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    unknown = set(args.suites) - set(SUITES)
    if unknown:
        ap.error(f"unknown suite(s) {sorted(unknown)}; choose from {SUITES}")
    for name in args.suites or SUITES:
        importlib.import_module(f"benchmarks.{name}").run(repeats=args.repeats)


if __name__ == "__main__":
    main()

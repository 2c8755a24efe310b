"""make demo (python -m tinygrad_lr.examples.demo): the main job, in a few minutes on a 2-core CPU.

1. Fischer (2020): the "+" methods on Beale's function (figures and table under runs/beale/), at BEALE_ITERS =
   3,000 iterations per method (a quarter of the README's 12,000, to stay fast): every verdict printed is one that
   budget supports; the others (Adam has not reached 1e-3 by then; GD+ and GDM+ sit at float64 round-off, so
   round-off, not the method, would decide "closer") are printed as UNTESTED with the reason. The README's table
   and its closeness verdicts without round-off: `tinygrad-lr beale --exact` (12,000 iterations);
2. the RMSProp-style worked example of "Introduction to neural network optimizers, part 2", checked against the
   post's numbers;
3. when MNIST is available (--data-root, else datasets.data_root's rule), a short comparison on the MNIST MLP
   784-512-256-10: SGD at a fixed η vs First-order (Train) vs RT-HPO (validation hypergradient), each at its best
   cell of the 3-epoch Table-1 sweep, seed = 0, two epochs, printed as a table (runs/demo/).
"""
import argparse
import os
import time

from . import beale, rmsprop_example
from .common.files import out_dir, write_json
from .common.data import add_data_root


# each method at its best cell of the 3-epoch Table-1 sweep (η̄, β) (README at aeca7bb): cells that train in 2 epochs;
# the 20-epoch table's best cells (η̄ = 1.0 for SGD and First-order; RT-HPO's diverges with 2 of 3 seeds) are not
CELLS = [("sgd", "SGD, fixed η", 0.5, 0.0), ("firstorder", "First-order (Train)", 0.5, 1e-4),
         ("rthpo", "RT-HPO (Val)", 0.2, 1e-3)]


def mnist_comparison(out, epochs=2, train_size=None, root=None):
    from tinygrad_lr import datasets

    from .sweep import train_run
    try:
        (X, y) = datasets.load_mnist(root, "train", flatten=True)
        test = datasets.load_mnist(root, "test", flatten=True)
    except datasets.DatasetError as e:
        print(f"\n(MNIST comparison skipped: {str(e).splitlines()[0]})")
        return None
    (Xtr, ytr), val = datasets.train_val_split(X, y, val_size=10000, seed=0)
    data = ((Xtr[:train_size], ytr[:train_size]), val, test)
    rows = []
    for method, label, lr, hyper_lr in CELLS:
        r = train_run(method, lr, hyper_lr, 0, epochs, data)
        rows.append({"method": label, "initial_lr": lr, "hyper_lr": r["hyper_lr"], "final_lr": r["final_lr"],
                     "test_accuracy": r["test_accuracy"], "seconds": r["seconds"]})
        print(f"  {label:<20} final η {r['final_lr']:.4f}  test accuracy {100 * r['test_accuracy']:.2f} %  "
              f"({r['seconds']:.0f} s)")
    write_json(f"{out}/mnist_comparison.json", {"epochs": epochs, "train_size": train_size, "rows": rows})
    return rows


BEALE_ITERS = 3000


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beale-iters", type=int, default=BEALE_ITERS,
                    help=f"iterations per method on Beale's function (default {BEALE_ITERS}; the README's table: "
                         f"{beale.DEFAULT_ITERS})")
    ap.add_argument("--out", default="runs")
    ap.add_argument("--no-mnist", action="store_true", help="skip the MNIST comparison")
    add_data_root(ap)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    print("=" * 80 + f"\nFischer (2020): the + methods on Beale's function, {args.beale_iters} iterations per method\n"
          + "=" * 80)
    beale.run(args.beale_iters, os.path.join(args.out, "beale"))
    if args.beale_iters < beale.DEFAULT_ITERS:
        print(f"(verdicts at {args.beale_iters} iterations: a claim this budget cannot decide is UNTESTED; the README's "
              f"table is `tinygrad-lr beale --exact`, {beale.DEFAULT_ITERS} iterations)")
    print("\n" + "=" * 80 + "\nthe RMSProp-style worked example (Introduction to neural network optimizers, part 2)\n"
          + "=" * 80)
    rmsprop_example.run(os.path.join(args.out, "rmsprop-example"))
    print("\n" + "=" * 80 + "\nMNIST MLP 784-512-256-10: fixed η vs First-order vs RT-HPO (2 epochs, 50k samples)\n"
          + "=" * 80)
    rows = None if args.no_mnist else mnist_comparison(out_dir(os.path.join(args.out, "demo")), root=args.data_root)
    if rows:
        print("\n| method | η̄ | β | final η | test accuracy | seconds |\n|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['method']} | {r['initial_lr']} | {r['hyper_lr']} | {r['final_lr']:.4f} | "
                  f"{100 * r['test_accuracy']:.2f} % | {r['seconds']:.0f} |")
    print(f"\nfigures: {args.out}/beale/trajectories.png, distance.png, learning_rates.png; "
          f"metrics under {args.out}/  ({time.perf_counter() - t0:.0f} s in all)")


if __name__ == "__main__":
    main()

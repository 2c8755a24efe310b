"""The LOSSGRAD experiments' settings: the paper's numbers, the cells of each table and the command-line options.

Wójcik, Maziarka & Tabor (2019), "LOSSGRAD: automatic learning rate in gradient descent", arXiv:1902.07656.
Lost from the text we work from (docs/sources.md §3): the StepLR and trapezoid schedules' learning rates, the
η values of the MNIST table and WNGrad's η, the initialisation's constants and every number of the MNIST table.
What the project chose in their place is stated here, next to each choice."""
import argparse
from ..common.data import add_data_root

EPOCHS, BATCH = 30, 100                     # appendix A: 30 epochs, mini-batch 100
C_DEFAULT, H0 = 1.05, 1e-4                  # LOSSGRAD's c (Section 4) and initial step (the authors' code)
C_SWEEP = (1.001, 1.005, 1.01, 1.05, 1.1, 1.2)  # Section 4's c values (their table is on CIFAR-10)

# The Fashion-MNIST autoencoder table (train MSE, test MSE), as printed in the paper.
PAPER_FMNIST = {"SGD 2.0": (0.018, 0.019), "SGD 4.0": (0.013, 0.013), "SGD 16.0": (0.010, 0.010),
                "StepLR": (0.015, 0.016), "Trapezoid": (0.012, 0.012), "WNGrad": (0.023, 0.023),
                "LOSSGRAD": (0.022, 0.022)}
# Our choices for the values the text lost:
#   StepLR: η0 = 4 (the middle SGD value), × 0.1 after epoch 20 (the text: "multiplied by [lost] after 20 epochs").
#   Trapezoid: 0 → 16 (the best SGD value) linearly until epoch 10, flat until 15, linearly down to 0 at epoch 30
#     (the text: "linearly increases ... to [lost] in epoch 10, stays constant until epoch 15 and decreases").
#   WNGrad: η = 1 (the Caffe2 WngradOptimizer default that optim.WNGrad keeps; b0 = 100).
STEP_LR = dict(lr=4.0, step_size=20, gamma=0.1)
TRAPEZOID = dict(lr=16.0, warmup=10, flat_until=15)
WNGRAD_LR = 1.0
# The autoencoder's initialisation: the authors' autoencoder_fmnist_example.py (github.com/bartwojcik/lossgrad):
# weights N(0, 0.05²), biases 0.2. The MNIST MLP keeps tinygrad_lr's default (torch's) initialisation.
AE_INIT = (0.05, 0.2)

FMNIST_CELLS = ([dict(method="sgd", lr=v) for v in (2.0, 4.0, 16.0)]
                + [dict(method="steplr"), dict(method="trapezoid"), dict(method="wngrad"),
                   dict(method="lossgrad", c=C_DEFAULT)])
# WNGrad at larger η as well (the paper "tested" WNGrad η values on Fashion-MNIST; which ones is lost)
FMNIST_WNGRAD_EXTRA = (10.0, 100.0)
FMNIST_CELLS += [dict(method="wngrad", lr=v) for v in FMNIST_WNGRAD_EXTRA]
# MNIST, MLP 784-500-300-100-10: the paper's η values are lost; SGD on a grid around the usual range.
MNIST_SGD_LRS = (0.01, 0.05, 0.1, 0.5)
MNIST_CELLS = ([dict(method="sgd", lr=v) for v in MNIST_SGD_LRS] + [dict(method="wngrad")]
               + [dict(method="lossgrad", c=c) for c in C_SWEEP])
LABELS = {"sgd": "SGD {lr:g}", "steplr": "StepLR", "trapezoid": "Trapezoid", "wngrad": "WNGrad",
          "lossgrad": "LOSSGRAD c={c:g}"}


def label(cell):
    if cell["method"] == "wngrad" and cell.get("lr") is not None:
        return f"WNGrad η={cell['lr']:g}"
    if cell.get("experiment") == "fmnist":  # the paper's row names
        return {"lossgrad": "LOSSGRAD", "sgd": f"SGD {cell.get('lr') or 0.0:.1f}"}.get(
            cell["method"], LABELS[cell["method"]])
    return LABELS[cell["method"]].format(lr=cell.get("lr") or 0.0, c=cell.get("c") or 0.0)


def cells(experiment, epochs=EPOCHS, seed=0, train_size=None, data_root=None):
    """Every cell of one table as the keyword arguments of compute.run_cell (plain values)."""
    base = {"fmnist": FMNIST_CELLS, "mnist": MNIST_CELLS}[experiment]
    return [dict(c, experiment=experiment, epochs=epochs, seed=seed, train_size=train_size, data_root=data_root)
            for c in base]


def add_args(p):
    p.add_argument("what", nargs="*", default=["quadratic", "fmnist", "mnist"],
                   choices=["quadratic", "fmnist", "mnist"], help="which parts to run (default: all three)")
    p.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs per training run (default {EPOCHS})")
    p.add_argument("--train-size", type=int, default=None,
                   help="use only the first N training images (a reduced budget; default all 60,000)")
    p.add_argument("--seed", type=int, default=0)
    add_data_root(p)
    p.add_argument("--out", default="runs/lossgrad_tables", help="output folder; one sub-folder per cell")
    p.add_argument("--jobs", type=int, default=1, help="cells run at once (worker processes)")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--replot", action="store_true",
                   help="the tables' figures (and tables) from the finished cells in --out, training nothing; an "
                        "error names any cell without a result")
    p.add_argument("--no-progress", action="store_true")
    return p


def parser(prog="python -m tinygrad_lr.examples.lossgrad"):
    return add_args(argparse.ArgumentParser(prog=prog))

"""The lecture checks' settings: the problems, the budgets, and the lecture's statements as they are judged.

Nan Ye, "Adaptive Learning Rates" (lecture slides, The University of Queensland; docs/sources.md §5). Every number
below is this project's choice (the slides give none): the problems, step counts, thresholds and seeds."""
import os

SOURCE = "Ye, \"Adaptive Learning Rates\" (slides)"

# 1. AdaGrad's effective step keeps shrinking and stalls; RMSProp keeps making progress
#    (a) the pseudo-Huber valley f(w) = Σ_i δ²(√(1 + (w_i/δ)²) − 1), δ = 1, from w0 = (100, 100): |∇f| ≈ 1 per
#        coordinate until close to 0, so a method whose step shrinks like 1/√t covers only ~2η√T in T steps;
#    (b) the small MLP (MLP below) on its regression data, full batch.
STALL = dict(w0=(100.0, 100.0), delta=1.0, lr=0.1, steps=20000, rmsprop_alpha=0.9)
STALL_MLP = dict(lr=0.01, steps=4000, rmsprop_alpha=0.9)
# "keeps shrinking": AdaGrad's effective step never grows for any parameter and its median falls by at least
# STALL_SHRINK over the run; "no progress after a while": its loss falls by less than STALL_PROGRESS (a fraction)
# over the second half of the run while RMSProp at the same η ends at least 10x lower
STALL_SHRINK, STALL_PROGRESS = 2.0, 0.5

# 2. AdaDelta's insensitivity to ε (torch's AdaDelta, η = 1, ρ = 0.9), on the quadratic and the MLP
ADADELTA_EPS = (1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
ADADELTA = dict(rho=0.9, quad_steps=2000, mlp_steps=2000)
INSENSITIVE_FACTOR = 2.0  # "insensitive": every ε's final loss within this factor of the others'

# 3. Annealing: minibatch SGD on a noisy linear regression, η = 0.1 fixed, 0.01 fixed, and 0.1 reduced ×0.1 when
#    the validation error plateaus (lr_scheduler.ReduceLROnPlateau, patience PATIENCE epochs)
ANNEAL = dict(d=20, n_train=2000, n_val=1000, noise=1.0, batch=10, epochs=40, lrs=(0.1, 0.01), factor=0.1,
              patience=2, seed=0)

# 4. Diagonal Newton vs full Newton: a separable quadratic, a coupled quadratic, the small MLP
QUAD = dict(n=10, cond=100.0, seed=0, steps=200, eps=0.0)
NEWTON_MLP = dict(steps=100, eps=(1e-3, 1e-2, 1e-1, 1.0, 3.0, 10.0), gd_lrs=(0.03, 0.1, 0.3, 1.0), hutchinson_samples=1, seed=0)
# the small MLP: 1-H-1 tanh regression of sin(3x) on N points of [-1, 1] (float64, full batch)
MLP = dict(hidden=8, n=64, seed=0)
SEEDS = (0, 1, 2)  # Hutchinson's estimate is random: DiagonalNewton runs at each seed

DEFAULT_OUT = "runs/lecture"


def positive_int(text):
    import argparse
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def positive_float(text):
    import argparse
    v = float(text)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {v}")
    return v


def add_args(p):
    """The options of `tinygrad-lr lecture` and `python -m tinygrad_lr.examples.lecture`."""
    p.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--scale", type=positive_float, default=1.0,
                   help="multiply every step/epoch budget by this (default 1: about 2 minutes on a 2-core CPU; the "
                        "verdicts are for the default budgets)")
    p.add_argument("--no-plots", action="store_true", help="metrics only, no figures")
    p.add_argument("--docs", metavar="FOLDER", help="also copy the figures to FOLDER/lecture_<figure>.png")
    p.add_argument("--jobs", type=positive_int, default=min(2, os.cpu_count() or 1),
                   help="worker processes, one study each at a time (default: min(2, CPUs))")

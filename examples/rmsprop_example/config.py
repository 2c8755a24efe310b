"""The RMSProp worked example's settings and the post's numbers: "Introduction to neural network optimizers,
part 2: adaptive learning rates (RMSProp, AdaGrad)" (a blog series), E(w) = 3 w1² + 10 w2² from w0 = (-15, 20)."""

W0, ETA_GD, ETA, BETA, EPSILON = (-15.0, 20.0), 0.001, 0.05, 0.9, 1e-8
SOURCE = "Introduction to neural network optimizers, part 2"
# the post's weight vectors w(1), w(2), at 2 decimals
POST = {"GD": [(-14.91, 19.6), (-14.82, 19.21)], "RMSProp-style": [(-14.84, 19.84), (-14.73, 19.73)]}
# the post's intermediate numbers: s(1), ∇E(w(1)), s(2) (the last two from the rounded w(1))
POST_INTERMEDIATE = {"s(1)": (810.0, 16000.0), "grad E(w(1))": (-89.04, 396.8), "s(2)": (1521.81, 30145.02)}


def add_args(p):
    """The options of `tinygrad-lr rmsprop-example` and `python -m tinygrad_lr.examples.rmsprop_example`."""
    p.add_argument("--out", default="runs/rmsprop-example", help="output folder (default runs/rmsprop-example)")
    p.add_argument("--no-plots", action="store_true", help="no figures (the verdicts on them are still computed)")
    p.add_argument("--docs", metavar="FOLDER", help="also copy the figures to FOLDER/rmsprop_<figure>.png")

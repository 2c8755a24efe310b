"""The Beale experiment's settings: the function's start and minimum, the hyper-parameter table of Fischer (2020),
"An adaptive learning rate method for gradient descent algorithms", what that post claims about each pair, the
methods compared and the command-line options."""
import argparse
import os

from tinygrad_lr import hyper, optim

START, MINIMUM, TOL = (-2.0, -1.0), (3.0, 0.5), 1e-3
GAMMA, BETAS, EPS = 0.5, (0.9, 0.99), 1e-8
DEFAULT_ITERS = 12000
# Fischer (2020)'s table: method -> (η, α)
PAPER_TABLE = {"GD": (0.01, 0.0), "GD+": (0.01, 1e-4), "GDM": (0.015, 0.0), "GDM+": (0.01, 1e-5),
               "NAG": (0.006, 0.0), "NAG+": (0.006, 1e-6), "Adam": (0.0005, 0.0), "Adam+": (0.0005, 1e-8)}
# the global-η variants (one η for x and y, η ← η + α·mean_i g_i·g_i_prev): α from global_eta.grid_search (the
# fewest iterations to 1e-3 on its grid at the post's η; docs/results/beale_global_alpha_grid.csv)
GLOBAL_ALPHA = {"GD": 2e-5, "GDM": 5e-6}
PAIRS = [("GD", "GD+"), ("GDM", "GDM+"), ("NAG", "NAG+"), ("Adam", "Adam+")]
OTHERS = [("AdaGrad", "RMSprop", "AdaDelta"), ("GD", "HD (first-order)", "RT-HPO")]
FLOOR = 1e-12  # distances below this are float64 round-off of the iterate (|x| ~ 3, ulp ~ 4e-16, times steps)

# What Fischer (2020) says about each pair, as testable statements: (kind, parameter, the post's words).
#   "sooner": + reaches 1e-3 in fewer iterations; "ratio": its count / the base's count lies in the interval;
#   "closer": + ends at least `factor` times closer; "base_closer": the base ends at least `factor` times closer.
CLAIMS = {
    "GD": [("sooner", None, "GD+ approaches the global minimum much faster"),
           ("closer", 10, "it also gets about an order of magnitude closer after convergence")],
    "GDM": [("sooner", None, "the optimizer with adaptive learning rates converges much faster"),
            ("closer", 1, "and also gets closer to the global minimum")],
    "NAG": [("ratio", (0.4, 0.6), "NAG+ requires only about half the steps to converge compared to NAG")],
    "Adam": [("sooner", None, "the optimizer with adaptive learning rate converges much faster"),
             ("base_closer", 10, "standard Adam gets closer to the global minimum by about one order of magnitude")],
}

FISCHER = "Fischer (2020)"
SLIDES = "Ye, Adaptive learning rates (slides)"


def base_optimizer(kind, params, lr):
    """GD, GDM, NAG or Adam with the table's γ, β1, β2, ε."""
    if kind == "GD":
        return optim.SGD(params, lr=lr)
    if kind == "GDM":
        return optim.SGD(params, lr=lr, momentum=GAMMA)
    if kind == "NAG":
        return optim.SGD(params, lr=lr, momentum=GAMMA, nesterov=True)
    if kind == "Adam":
        return optim.Adam(params, lr=lr, betas=BETAS, eps=EPS)
    raise ValueError(kind)


class Method:
    """One row of the experiment: make(params) builds what is stepped (an optimizer or a hyper wrapper)."""

    def __init__(self, name, make, eta, alpha=0.0, hyper_lr=0.0, note=""):
        self.name, self.make, self.eta, self.alpha, self.hyper_lr, self.note = name, make, eta, alpha, hyper_lr, note


def methods():
    """name -> Method, in the order of the table."""
    out = {}
    for name, (lr, alpha) in PAPER_TABLE.items():
        kind = name.rstrip("+")
        if alpha:
            out[name] = Method(name, lambda p, k=kind, lr=lr, a=alpha: hyper.FischerPlus(base_optimizer(k, p, lr), a),
                               lr, alpha=alpha,
                               note=f"hyper.FischerPlus({kind}, alpha), per-element eta; {FISCHER} table")
        else:
            out[name] = Method(name, lambda p, k=kind, lr=lr: base_optimizer(k, p, lr), lr, note=f"{FISCHER} table")
    for kind, alpha in GLOBAL_ALPHA.items():
        lr = PAPER_TABLE[kind + "+"][0]
        out[f"{kind}+ (global)"] = Method(
            f"{kind}+ (global)", lambda p, k=kind, lr=lr, a=alpha: hyper.FischerPlus(base_optimizer(k, p, lr), a,
                                                                                   granularity="global"),
            lr, alpha=alpha, note=f"hyper.FischerPlus({kind}, alpha, granularity='global'); alpha from a grid")
    out["AdaGrad"] = Method("AdaGrad", lambda p: optim.Adagrad(p, lr=2.0), 2.0, note=f"{SLIDES}; eta from a grid")
    out["RMSprop"] = Method("RMSprop", lambda p: optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-8), 1e-3,
                            note=f"{SLIDES}; alpha=0.9; eta from a grid")
    out["AdaDelta"] = Method("AdaDelta", lambda p: optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6), 1.0,
                             note=f"{SLIDES}; torch defaults (no grid point reached 1e-3)")
    out["HD (first-order)"] = Method("HD (first-order)", lambda p: hyper.FirstOrder(optim.SGD(p, lr=0.01), 1e-5),
                                     0.01, hyper_lr=1e-5,
                                     note="hyper.FirstOrder(GD, beta), global eta (Baydin et al.); beta from a grid")
    out["RT-HPO"] = Method("RT-HPO", lambda p: hyper.RTHPO(optim.SGD(p, lr=0.01), 1e-5), 0.01, hyper_lr=1e-5,
                           note="hyper.RTHPO(GD, beta), global eta, E = f; beta from a grid")
    return out


def positive_int(text):
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def add_args(p):
    """The options of `tinygrad-lr beale` and `python -m tinygrad_lr.examples.beale`."""
    p.add_argument("--iters", type=positive_int, default=DEFAULT_ITERS,
                   help=f"iterations per method (default {DEFAULT_ITERS}: Adam at {FISCHER}'s η needs about 11,000)")
    p.add_argument("--out", default="runs/beale", help="output folder (default runs/beale)")
    p.add_argument("--no-plots", action="store_true", help="metrics only, no figures")
    p.add_argument("--exact", action="store_true",
                   help="also run GD, GDM, Adam and their + variants in 250-digit decimal arithmetic and judge the "
                        "'closer after convergence' claims without float64 round-off (about 2 min at 12,000 iterations)")
    p.add_argument("--global-grid", action="store_true",
                   help="also run the grid search over α of the global-η GD+ and GDM+ (about 1 min)")
    p.add_argument("--replot", action="store_true",
                   help="only redraw the figures from the trajectories.npz (and exact.npz) of a finished run in --out")
    p.add_argument("--jobs", type=positive_int, default=min(2, os.cpu_count() or 1),
                   help="worker processes, one method each at a time (default: min(2, CPUs))")

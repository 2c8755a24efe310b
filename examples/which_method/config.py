"""Which method should I use? The methods, their defaults, the models and the command-line options.

Every method is run at its default learning rate times a multiplier (x1e-2 ... x1e2: the robustness protocol of
Mechanic, Cutkosky, Defazio & Mehta 2023, arXiv:2306.00144, and of AlgoPerf, Dahl et al. 2023, arXiv:2306.07179).
What the multiplier scales is the method's `lr`:

- the learning-rate-free optimizers (tinygrad_lr.optim, by their CLI name of examples/common/methods.LR_FREE):
  the `lr` each takes; 1.0 is the authors' default for all but AdamWScheduleFree (0.0025, the authors' default)
  and Mechanic, whose `lr` is its base optimizer's (our choice: that base optimizer's default here, SGD 0.1 and
  Adam 1e-3; Mechanic rescales it by its learned s);
- the learning-rate methods (tinygrad_lr.hyper, and SGD / Adam / AdaDelta at a fixed η as the baselines): the
  initial η (η̄). The hypergradient methods keep β = BETA fixed (the middle of Majumder et al. 2019's β grid);
  LOSSGRAD's initial step is its paper's default 1e-4 (c = 1.05); GDM+ (Fischer 2020, global η) on SGD with
  momentum 0.9 uses α = BETA·|Ω| (|Ω|: the number of parameters), which on plain SGD would move η exactly as
  First-order (Train) with β = BETA (hyper.FischerPlus's docstring): no tuned α for an MLP or LeNet exists.
"""
from ..common import runner
from ..common.data import add_data_root

BETA = 1e-4  # the hypergradient methods' β (Majumder et al. 2019 grid: 1e-5, 1e-4, 1e-3)


class Method:
    def __init__(self, name, family, default_lr, note):
        self.name, self.family, self.default_lr, self.note = name, family, default_lr, note


_LR_FREE = [("prodigy", 1.0, "optim.Prodigy"), ("dadapt-sgd", 1.0, "optim.DAdaptSGD"),
            ("dadapt-adam", 1.0, "optim.DAdaptAdam"), ("dog", 1.0, "optim.DoG"), ("ldog", 1.0, "optim.LDoG"),
            ("dowg", 1.0, "optim.DoWG"), ("schedulefree-sgd", 1.0, "optim.SGDScheduleFree"),
            ("schedulefree-adamw", 0.0025, "optim.AdamWScheduleFree"),
            ("mechanic-sgd", 0.1, "optim.Mechanic(optim.SGD(lr))"),
            ("mechanic-adam", 1e-3, "optim.Mechanic(optim.Adam(lr))"), ("cocob", 1.0, "optim.COCOB"),
            ("sps", 1.0, "optim.SPS"), ("wngrad", 1.0, "optim.WNGrad"), ("l4adam", 1.0, "optim.L4Adam"),
            ("l4mom", 1.0, "optim.L4Mom")]
_LR_METHODS = [("sgd", 0.1, "optim.SGD(η) (baseline)"), ("adam", 1e-3, "optim.Adam(η) (baseline)"),
               ("adadelta", 1.0, "optim.Adadelta(η)"),
               ("firstorder", 0.1, f"hyper.FirstOrder(SGD(η̄), β={BETA:g}) (Train)"),
               ("firstorder-val", 0.1, f"hyper.FirstOrder(SGD(η̄), β={BETA:g}, val_closure) (Val)"),
               ("rthpo", 0.1, f"hyper.RTHPO(SGD(η̄), β={BETA:g}, val_closure)"),
               ("lossgrad", 1e-4, "hyper.LossGrad(SGD(h0)), c=1.05"),
               ("gdm+", 0.01, f"hyper.FischerPlus(SGD(η̄, momentum=0.9), α=β·|Ω|, β={BETA:g}, global)")]
METHODS = {n: Method(n, "learning-rate-free", lr, note) for n, lr, note in _LR_FREE}
METHODS.update({n: Method(n, "learning-rate method", lr, note) for n, lr, note in _LR_METHODS})
MODELS = ("mlp", "lenet")  # MLP 784-512-256-10 (Majumder et al. 2019's Table 1) and LeNet-5 (models.LeNet5)
MLP_SIZES = (784, 512, 256, 10)
MULTIPLIERS = (0.01, 0.1, 1.0, 10.0, 100.0)


def add_args(p):
    """The options of `tinygrad-lr which-method`."""
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS), metavar="METHOD",
                   help=f"methods (default: all): {' '.join(METHODS)}")
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    p.add_argument("--multipliers", type=float, nargs="+", default=list(MULTIPLIERS),
                   help="multipliers of each method's default learning rate (default 1e-2 1e-1 1 1e1 1e2; 1 is "
                        "always added: the default itself)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--train-size", type=int, default=None, help="use only this many training samples")
    p.add_argument("--val-size", type=int, default=10000,
                   help="validation samples, taken from MNIST's training set (the validation curve; the Val methods)")
    add_data_root(p, dask=True)
    p.add_argument("--out", default="runs/which_method",
                   help="output folder; each finished run is kept in <out>/cells/ and not run again")
    p.add_argument("--no-progress", action="store_true", help="do not log the running cells' progress")
    runner.add_args(p)

"""The learning-rate methods the train and sweep examples compare, by name: an optimizer at a fixed η, with an
exponential decay, AdaDelta, First-order (Train / Val), RT-HPO (Val / Train) and LOSSGRAD."""
from tinygrad_lr import hyper, optim
from tinygrad_lr.optim import lr_scheduler

METHODS = ("sgd", "expdecay", "adadelta", "firstorder", "firstorder-val", "rthpo", "rthpo-train", "lossgrad")
# the learning-rate-free optimizers, by their CLI name: made from (params, lr), lr being the multiplier each one
# takes (1.0 is the authors' default for all but Schedule-Free and Mechanic's base, which take a real lr)
LR_FREE = {"prodigy": lambda p, lr: optim.Prodigy(p, lr=lr),
           "dadapt-sgd": lambda p, lr: optim.DAdaptSGD(p, lr=lr),
           "dadapt-adam": lambda p, lr: optim.DAdaptAdam(p, lr=lr),
           "dog": lambda p, lr: optim.DoG(p, lr=lr),
           "ldog": lambda p, lr: optim.LDoG(p, lr=lr),
           "dowg": lambda p, lr: optim.DoWG(p, lr=lr),
           "schedulefree-sgd": lambda p, lr: optim.SGDScheduleFree(p, lr=lr),
           "schedulefree-adamw": lambda p, lr: optim.AdamWScheduleFree(p, lr=lr),
           "mechanic-sgd": lambda p, lr: optim.Mechanic(optim.SGD(p, lr=lr)),
           "mechanic-adam": lambda p, lr: optim.Mechanic(optim.Adam(p, lr=lr)),
           "cocob": lambda p, lr: optim.COCOB(p, lr=lr),
           "sps": lambda p, lr: optim.SPS(p, lr=lr),
           "wngrad": lambda p, lr: optim.WNGrad(p, lr=lr),
           "l4adam": lambda p, lr: optim.L4Adam(p, lr=lr),
           "l4mom": lambda p, lr: optim.L4Mom(p, lr=lr)}
# what hyper.FirstOrder / RTHPO can adapt on each base optimizer (--hyperparams)
OPTIMIZER_HYPERPARAMS = {"sgd": ("lr", "momentum", "dampening", "weight_decay"),
                         "adam": ("lr", "beta1", "beta2", "eps", "weight_decay"),
                         "rmsprop": ("lr", "alpha", "eps", "momentum", "weight_decay"),
                         "adagrad": ("lr", "lr_decay", "eps", "weight_decay"),
                         "adadelta": ("lr", "rho", "eps", "weight_decay")}


def make_method(method, params, lr, hyper_lr=0.0, val_closure=None, optimizer="sgd", momentum=0.0,
                steps_per_epoch=None, decay=0.9, hyperparams=("lr",), lr_bounds=None, max_growth=None):
    """(object to step, per-epoch scheduler or None) for a learning-rate method name of METHODS; the hypergradient
    methods adapt `hyperparams` (each with the same hyper_lr), with their learning rate guarded by lr_bounds
    (low, high) and max_growth (LRMethod.set_guard) when given."""
    base = {"sgd": lambda: optim.SGD(params, lr=lr, momentum=momentum),
            "adam": lambda: optim.Adam(params, lr=lr),
            "rmsprop": lambda: optim.RMSprop(params, lr=lr),
            "adagrad": lambda: optim.Adagrad(params, lr=lr),
            "adadelta": lambda: optim.Adadelta(params, lr=lr)}
    params = list(params)
    base.update({name: (lambda make=make: make(params, lr)) for name, make in LR_FREE.items()})
    if optimizer not in base:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose from {sorted(base)}")
    if method == "sgd":
        return base[optimizer](), None
    if method == "expdecay":
        opt = base[optimizer]()
        return opt, lr_scheduler.ExponentialLR(opt, gamma=decay)
    if method == "adadelta":
        return optim.Adadelta(params, lr=1.0 if lr is None else lr), None
    if method in ("firstorder", "firstorder-val", "rthpo", "rthpo-train"):
        cls = hyper.FirstOrder if method.startswith("firstorder") else hyper.RTHPO
        h = cls(base[optimizer](), hyper_lr, val_closure=val_closure if method in ("firstorder-val", "rthpo")
                else None, hyperparams=tuple(hyperparams))
        if lr_bounds is not None or max_growth is not None:
            h.set_guard("lr", bounds=None if lr_bounds is None else tuple(lr_bounds), max_growth=max_growth)
        return h, None
    if method == "lossgrad":
        return hyper.LossGrad(base[optimizer]()), None
    raise ValueError(f"unknown method {method!r}; choose from {METHODS}")

"""Learning-rate methods: one training step on the MLP 784-512-256-10, batch 128, float32, as a ratio to a
plain SGD step measured in the same run. Targets (issue 3): FirstOrder <= 1.2x, RT-HPO <= 3x."""
from tinygrad_lr import Tensor, hyper, optim

from .common import interleaved, table
from .engine import mlp_loss, mlp_problem


def run(repeats=30):
    Ws, bs, x, y = mlp_problem()
    xt = Tensor(x)

    def setup():
        params = [Tensor(a.copy(), requires_grad=True) for pair in zip(Ws, bs) for a in pair]

        def closure():
            return mlp_loss(params, xt, y)
        return params, closure

    steps = {}
    p, c = setup()
    sgd = optim.SGD(p, lr=0.01)

    def sgd_step(opt=sgd, c=c):
        opt.zero_grad()
        c().backward()
        opt.step()
    steps["SGD"] = sgd_step
    for name, make in [("FirstOrder (Train)", lambda o: hyper.FirstOrder(o, hyper_lr=1e-6)),
                       ("RT-HPO (global)", lambda o: hyper.RTHPO(o, hyper_lr=1e-6)),
                       ("LossGrad", lambda o: hyper.LossGrad(o))]:
        p, c = setup()
        h = make(optim.SGD(p, lr=0.01))
        steps[name] = (lambda h=h, c=c: h.step(c))
    p, c = setup()
    hm = hyper.RTHPO(optim.Adam(p, lr=1e-3), hyper_lr=1e-9)
    steps["RT-HPO (global) on Adam"] = lambda: hm.step(c)
    t = interleaved(steps, repeats)
    base = t["SGD"]
    targets = {"FirstOrder (Train)": "<= 1.2", "RT-HPO (global)": "<= 3.0"}
    table(f"Learning-rate methods, MLP 784-512-256-10, batch 128 (median of {repeats} interleaved steps)",
          ["method", "ms/step", "x SGD step", "target"],
          [(k, f"{v * 1e3:.2f}", f"{v / base:.2f}", targets.get(k, "")) for k, v in t.items()])
    return {k: v / base for k, v in t.items()}



"""`tinygrad-lr train`'s figure: the training (and validation) loss per epoch, the learning rate, and every other
quantity the optimizer or method adapts (its adapted(), recorded by fit per epoch)."""
from tinygrad_lr.hyper.base import LRMethod

from ..common.figures import pyplot


def training_figure(hist, stepper, path):
    plt = pyplot()
    others = sorted({k for h in hist for k in h.get("adapted", {}) if not k.startswith("lr")})
    fig, axes = plt.subplots(1, 2 + bool(others), figsize=(10 + 5 * bool(others), 3.5))
    a, b = axes[:2]
    ep = [h["epoch"] for h in hist]
    a.plot(ep, [h["loss"] for h in hist], "o-", label="train")
    if "val_loss" in hist[0]:
        a.plot(ep, [h["val_loss"] for h in hist], "o-", label="validation")
    a.set(xlabel="epoch", ylabel="loss")
    a.legend()
    if isinstance(stepper, LRMethod):
        lr = [h["lr"] if isinstance(h["lr"], float) else sum(h["lr"]) / len(h["lr"]) for h in stepper.history]
        b.plot(lr)
        b.set(xlabel="step", ylabel="η")
    else:
        b.plot(ep, [h["lr"] for h in hist], "o-")
        b.set(xlabel="epoch", ylabel="η")
    if others:  # θ of a hypergradient method, d of D-Adaptation, ...: per epoch
        c = axes[2]
        for k in others:
            c.plot(ep, [h.get("adapted", {}).get(k, float("nan")) for h in hist], "o-", label=k)
        c.set(xlabel="epoch", ylabel="adapted value")
        c.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)

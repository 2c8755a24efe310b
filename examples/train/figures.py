"""`tinygrad-lr train`'s figure: the training (and validation) loss per epoch and the learning rate."""
from tinygrad_lr.hyper.base import LRMethod

from ..common.figures import pyplot


def training_figure(hist, stepper, path):
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
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
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)

"""LOSSGRAD (Wójcik, Maziarka & Tabor 2019, "LOSSGRAD: automatic learning rate in gradient descent",
arXiv:1902.07656), as the authors' code does it."""
import math
import numbers

from ..autograd import no_grad
from ..nn import reevaluate, rng_snapshot
from .base import LRMethod


class LossGrad(LRMethod):
    r"""Step size from a quadratic fit of the loss along the gradient.

    With step size h and gradient g on the current batch:
        lred = h·‖g‖²,  approx = loss - lred               (first-order prediction of the loss after the step)
        take the step;  actual = loss at the new weights on the SAME batch (closure() again, under no_grad, as
                        the same function: nn.reevaluate replays the dropout masks and freezes BatchNorm's
                        running statistics)
        rel_err = (actual - approx) / (lred + 1e-25)
        h ← h / c  if rel_err > 1/2  else  h·c
    p(t) = f(x) - t‖g‖² + a t² through f(x - h g) has its minimiser before h exactly when rel_err > 1/2.
    The initial h is the optimizer's lr (LOSSGRAD's default is 1e-4); ‖g‖ uses the raw gradient.

    Args:
        optimizer: the optimizer to wrap (LOSSGRAD's is plain SGD); one global η.
        c: the factor h is multiplied or divided by, > 1.
        lr_bounds: (low, high) for h, either may be None.
    """

    def __init__(self, optimizer, c=1.05, lr_bounds=None):
        if isinstance(c, bool) or not isinstance(c, numbers.Real) or not 1.0 < c < math.inf:
            raise ValueError(f"LossGrad needs a finite c > 1 (the factor η is multiplied or divided by), got {c!r}")
        super().__init__(optimizer, "global", lr_bounds)
        self.c = c

    def step(self, closure):
        """One step: closure() returns the loss Tensor of the current batch (without calling backward); it is
        called again after the step, on the same batch, to compare the loss with its prediction and move h.
        Returns the loss."""
        snap = rng_snapshot()  # the second evaluation replays the first one's dropout masks
        loss, grads = self.loss_and_grads(closure)
        if grads is None:
            return loss
        h = self.eta
        lred = h * float(sum((g.data.astype("float64") ** 2).sum() for g in grads))
        approx = float(loss.item()) - lred
        self.apply_step(grads)
        with no_grad(), reevaluate(snap):  # the same function: same masks, running statistics left alone
            actual = float(closure().item())
        rel_err = (actual - approx) / (lred + 1e-25)
        if rel_err == rel_err and abs(rel_err) != float("inf"):
            self.eta = self.guards["lr"](h, h / self.c if rel_err > 0.5 else h * self.c, f" at step {self.t}")
        else:
            self.skipped += 1
        self.record(loss, rel_err)
        self.t += 1
        return loss

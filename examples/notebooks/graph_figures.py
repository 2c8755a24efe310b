"""The graph pictures under docs/figures/ (the README's, and notebook 01's pre-rendered one), drawn by
tinygrad_lr.viz: `python examples/notebooks/graph_figures.py [OUT_DIR]` (default docs/figures). Needs Graphviz's
`dot` for the SVGs; without it the DOT text is written instead (graph_*.dot)."""
import sys
from pathlib import Path

import numpy as np

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, viz
from tinygrad_lr.models import MLP

ROOT = Path(__file__).resolve().parents[2]


def neuron():
    """Notebook 01's neuron, L = (tanh(w·x + b) - t)², with values and gradients."""
    x, t = Tensor([1.0, -2.0, 0.5]), Tensor(0.3)
    w, b = Tensor([0.4, 0.1, -0.6], requires_grad=True), Tensor(0.2, requires_grad=True)
    loss = (((w * x).sum() + b).tanh() - t) ** 2
    loss.backward(retain_graph=True)
    return viz.draw(loss, names={"x": x, "t": t, "w": w, "b": b}, show_values=True)


def double_backprop():
    """f(x) = Σ tanh(x²) and its gradient, recorded by a create_graph=True backward (notebook 02)."""
    x = Tensor([0.5, -1.0], requires_grad=True)
    f = (x * x).tanh().sum()
    g, = tl.grad(f, x, create_graph=True)
    return viz.draw({"f": f, "grad f": g}, names={"x": x})


def mlp_collapsed():
    """An MLP's loss and its gradient (create_graph=True), one box per layer and recording pass."""
    tl.manual_seed(0)
    model = MLP([784, 128, 64, 10])
    X, y = Tensor.randn(32, 784), Tensor(np.arange(32) % 10)
    with viz.record_modules(model):
        loss = F.cross_entropy(model(X), y)
    grads = tl.grad(loss, model.parameters(), create_graph=True)
    return viz.draw({"loss": loss, **{f"grad {n}": g for (n, _), g in zip(model.named_parameters(), grads)}},
                    module=model, names={"X": X}, collapse=True, constants=False)


FIGURES = {"graph_neuron": neuron, "graph_double_backprop": double_backprop, "graph_mlp_collapsed": mlp_collapsed}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else ROOT / "docs" / "figures"
    out.mkdir(parents=True, exist_ok=True)
    for name, make in FIGURES.items():
        dot = make()
        path = out / (name + (".svg" if viz.have_dot() else ".dot"))
        viz.render(dot, path)
        print("wrote", path)


if __name__ == "__main__":
    main()

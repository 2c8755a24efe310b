from tinygrad_lr import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


class MLP(nn.Sequential):
    """Flatten, then Linear layers of the given sizes with an activation between them (none after the last):
    MLP([784, 512, 256, 10]) is RT-HPO's MNIST MLP, MLP([784, 500, 300, 100, 10]) LOSSGRAD's. sizes: the widths,
    input first; activation: "relu", "tanh" or "sigmoid"."""

    def __init__(self, sizes, activation="relu"):
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose from {sorted(ACTIVATIONS)}")
        layers = [nn.Flatten()]
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(ACTIVATIONS[activation]())
        super().__init__(*layers)

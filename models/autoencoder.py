from tinygrad_lr import nn


class Autoencoder(nn.Sequential):
    """LOSSGRAD's Fashion-MNIST autoencoder (Wójcik, Maziarka & Tabor 2019, "LOSSGRAD: automatic learning rate in
    gradient descent", arXiv:1902.07656, Table 7): 784-200-100-50-100-200-784, ReLU between layers, sigmoid output
    (pixels in [0, 1]); trained with the mean squared error. sizes: the layer widths, input first (the input is
    flattened)."""

    def __init__(self, sizes=(784, 200, 100, 50, 100, 200, 784)):
        layers = [nn.Flatten()]
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers += [nn.Linear(a, b), nn.ReLU() if i < len(sizes) - 2 else nn.Sigmoid()]
        super().__init__(*layers)

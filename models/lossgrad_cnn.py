from tinygrad_lr import nn


class LossgradCNN(nn.Sequential):
    """LOSSGRAD's CIFAR-10 ConvNet (Wójcik, Maziarka & Tabor 2019, "LOSSGRAD: automatic learning rate in gradient
    descent", arXiv:1902.07656, Table 7), for 3x32x32 inputs:
    conv 30@5x5 (28x28x30) -> max-pool 2 (14x14x30) -> ReLU -> conv 40@5x5 (10x10x40) -> max-pool 2 (5x5x40) -> ReLU
    -> conv 50@3x3 (3x3x50) -> ReLU -> Linear 250 -> ReLU -> Linear 100 -> ReLU -> Linear 10.
    The table is garbled in the text of the paper we worked from (docs/sources.md); this reading gives exactly the
    output sizes it lists. The paper initialises weights from a normal distribution and biases to a constant, but
    that text lost both values, so the layers keep torch's default initialisation (re-initialise with
    model.apply(...) and nn.init if needed). num_classes: outputs of the last layer."""

    def __init__(self, num_classes=10):
        super().__init__(
            nn.Conv2d(3, 30, 5), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(30, 40, 5), nn.MaxPool2d(2), nn.ReLU(),
            nn.Conv2d(40, 50, 3), nn.ReLU(),
            nn.Flatten(), nn.Linear(50 * 3 * 3, 250), nn.ReLU(), nn.Linear(250, 100), nn.ReLU(),
            nn.Linear(100, num_classes))

from tinygrad_lr import nn


class LeNet5(nn.Sequential):
    """LeNet-5 for 1x28x28 inputs (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-based learning applied to document
    recognition", Proc. IEEE 86(11), as commonly trained today): conv 6@5x5 (padding 2) -> ReLU -> max-pool 2 ->
    conv 16@5x5 -> ReLU -> max-pool 2 -> 120 -> 84 -> 10. ReLU and max-pooling replace the original
    scaled tanh and subsampling, as in most modern reproductions (Majumder, Donini & Chaudhari 2019, "Learning the
    learning rate for gradient descent by gradient descent", whose Table 1 trains a LeNet on MNIST, do not specify
    them). num_classes: outputs of the last layer; in_channels: channels of the input images."""

    def __init__(self, num_classes=10, in_channels=1):
        super().__init__(
            nn.Conv2d(in_channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, num_classes))

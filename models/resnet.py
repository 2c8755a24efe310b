"""CIFAR ResNets (He, Zhang, Ren & Sun 2016, "Deep residual learning for image recognition", arXiv:1512.03385):
ResNet-18 (the ImageNet layout, 64-128-256-512, with a 3x3 stem and no max-pool for 32x32 inputs) and the paper's
CIFAR ResNet-20/56 (3 stages of 16/32/64 channels, n = 3/9 BasicBlocks each).

Shortcuts that change shape: option "A" (parameter-free: subsample by the stride, zero-pad the new channels) is
what the paper uses for its CIFAR nets, so resnet20/56 use it (0.27M / 0.85M parameters, as the paper's table);
option "B" (1x1 convolution + BatchNorm) is the usual ResNet-18 choice (11.17M parameters)."""
from tinygrad_lr import nn


class PadShortcut(nn.Module):
    """Option A: x[:, :, ::s, ::s] with zero channels added on both sides up to cout."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.cin, self.cout, self.stride = cin, cout, stride

    def forward(self, x):
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        lo = (self.cout - self.cin) // 2
        return x.pad((0, 0, 0, 0, lo, self.cout - self.cin - lo)) if self.cout != self.cin else x

    def extra_repr(self):
        return f"{self.cin}, {self.cout}, stride={self.stride}"


class BasicBlock(nn.Module):
    """The two-convolution residual block: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3x3 convolutions
    without bias. cin, cout: input and output channels; stride: of the first convolution (and the shortcut);
    shortcut: "A" (zero-padding) or "B" (1x1 convolution + BatchNorm) where the shape changes (the identity
    otherwise)."""

    def __init__(self, cin, cout, stride=1, shortcut="B"):
        super().__init__()
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' (zero-padding) or 'B' (1x1 conv + BatchNorm), got {shortcut!r}")
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = (PadShortcut(cin, cout, stride) if shortcut == "A" else
                             nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)))

    def forward(self, x):
        out = self.bn1(self.conv1(x)).relu()
        out = self.bn2(self.conv2(out))
        return (out + self.shortcut(x)).relu()


class ResNet(nn.Module):
    """Stem conv 3x3 + BatchNorm + ReLU -> stages (layer1, layer2, ...) of BasicBlocks, the first block of each later
    stage striding 2 -> global average pool -> Linear. Parameter names follow torchvision ("layer1.0.bn1.weight").

    Args:
        blocks: the number of BasicBlocks of each stage, e.g. [3, 3, 3].
        widths: the channels of each stage, e.g. [16, 32, 64] (the stem has widths[0]).
        num_classes: outputs of the final Linear.
        in_channels: channels of the input images.
        shortcut: "A" (zero-padding) or "B" (1x1 convolution + BatchNorm) where the shape changes."""

    def __init__(self, blocks, widths, num_classes=10, in_channels=3, shortcut="B"):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        cin = widths[0]
        for i, (n, w) in enumerate(zip(blocks, widths)):
            stage = []
            for j in range(n):
                stage.append(BasicBlock(cin, w, 2 if (i > 0 and j == 0) else 1, shortcut))
                cin = w
            setattr(self, f"layer{i + 1}", nn.Sequential(*stage))
        self.fc = nn.Linear(cin, num_classes)
        self.n_stages = len(blocks)

    def forward(self, x):
        x = self.bn1(self.conv1(x)).relu()
        for i in range(self.n_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(x.mean((2, 3)))


def resnet18(num_classes=10, shortcut="B"):
    """ResNet-18 for 32x32 inputs: stages of 2 blocks of 64, 128, 256, 512 channels (11.17M parameters with the
    default shortcut "B"). num_classes: outputs; shortcut: "A" (zero-padding) or "B" (1x1 convolution + BatchNorm) where
    the shape changes."""
    return ResNet([2, 2, 2, 2], [64, 128, 256, 512], num_classes, shortcut=shortcut)


def resnet20(num_classes=10, shortcut="A"):
    """The paper's CIFAR ResNet-20: 3 stages of 3 blocks, 16, 32, 64 channels (0.27M parameters). num_classes:
    outputs; shortcut: "A" (zero-padding) or "B" (1x1 convolution + BatchNorm) where the shape changes (the paper's is
    "A")."""
    return ResNet([3, 3, 3], [16, 32, 64], num_classes, shortcut=shortcut)


def resnet56(num_classes=10, shortcut="A"):
    """The paper's CIFAR ResNet-56: 3 stages of 9 blocks, 16, 32, 64 channels (0.85M parameters). num_classes:
    outputs; shortcut: "A" (zero-padding) or "B" (1x1 convolution + BatchNorm) where the shape changes (the paper's is
    "A")."""
    return ResNet([9, 9, 9], [16, 32, 64], num_classes, shortcut=shortcut)

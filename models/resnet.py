"""CIFAR ResNets: ResNet-18 (He et al. 2016, ImageNet layout with a 3x3 stem for 32x32 inputs) and the CIFAR
ResNet-20/56 (3 stages of 16/32/64 channels, n = 3/9 BasicBlocks). Shortcuts that change shape are a 1x1
convolution + BatchNorm (option B of the paper)."""
from tinygrad_lr import nn


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.bn1(self.conv1(x)).relu()
        out = self.bn2(self.conv2(out))
        return (out + self.shortcut(x)).relu()


class ResNet(nn.Module):
    """Stem conv 3x3 -> stages of BasicBlocks (the first block of each later stage strides 2) -> global average
    pool -> Linear."""

    def __init__(self, blocks, widths, num_classes=10, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        layers, cin = [], widths[0]
        for i, (n, w) in enumerate(zip(blocks, widths)):
            stage = []
            for j in range(n):
                stage.append(BasicBlock(cin, w, 2 if (i > 0 and j == 0) else 1))
                cin = w
            layers.append(nn.Sequential(*stage))
        for i, layer in enumerate(layers):
            setattr(self, f"layer{i + 1}", layer)
        self.fc = nn.Linear(cin, num_classes)
        self.n_stages = len(layers)

    def forward(self, x):
        x = self.bn1(self.conv1(x)).relu()
        for i in range(self.n_stages):
            x = getattr(self, f"layer{i + 1}")(x)
        return self.fc(x.mean((2, 3)))


def resnet18(num_classes=10):
    return ResNet([2, 2, 2, 2], [64, 128, 256, 512], num_classes)


def resnet20(num_classes=10):
    return ResNet([3, 3, 3], [16, 32, 64], num_classes)


def resnet56(num_classes=10):
    return ResNet([9, 9, 9], [16, 32, 64], num_classes)

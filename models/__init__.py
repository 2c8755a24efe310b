"""The source papers' models (docs/sources.md): MLP, LeNet5, LOSSGRAD's CIFAR ConvNet, CIFAR ResNets,
LSTMClassifier, Autoencoder."""
from .autoencoder import Autoencoder
from .lenet import LeNet5
from .lossgrad_cnn import LossgradCNN
from .lstm_classifier import LSTMClassifier
from .mlp import MLP
from .resnet import BasicBlock, ResNet, resnet18, resnet20, resnet56

__all__ = ["MLP", "LeNet5", "LossgradCNN", "ResNet", "BasicBlock", "resnet18", "resnet20", "resnet56",
           "LSTMClassifier", "Autoencoder"]

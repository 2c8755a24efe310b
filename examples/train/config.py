"""`tinygrad-lr train`'s choices and command-line options: any model × dataset × optimizer × learning-rate method."""
from ..common.methods import METHODS

MODELS = ("mlp", "lenet", "lstm", "autoencoder", "lossgrad-cnn", "resnet18", "resnet20", "resnet56")
DATASETS = ("mnist", "fashion-mnist", "cifar10", "cifar100")
OPTIMIZERS = ("sgd", "adam", "rmsprop", "adagrad", "adadelta")


def add_args(p):
    """The options of `tinygrad-lr train`."""
    p.add_argument("--model", default="mlp", choices=MODELS)
    p.add_argument("--dataset", default="mnist", choices=DATASETS)
    p.add_argument("--optimizer", default="sgd", choices=list(OPTIMIZERS))
    p.add_argument("--method", default="sgd", choices=METHODS,
                   help="learning-rate method: sgd = the optimizer at fixed η; expdecay; adadelta; firstorder (Train); "
                        "firstorder-val; rthpo (E = validation loss, as in Majumder et al. 2019); rthpo-train; "
                        "lossgrad")
    p.add_argument("--lr", type=float, default=0.01, help="initial learning rate η̄")
    p.add_argument("--hyper-lr", type=float, default=1e-4, help="hyper-learning rate β")
    p.add_argument("--momentum", type=float, default=0.0)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--val-size", type=int, default=10000, help="validation samples taken from the training set")
    p.add_argument("--train-size", type=int, default=None, help="use only this many training samples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-root", default=None,
                   help="dataset root (default $TINYGRAD_LR_DATA, else ~/.cache/tinygrad_lr)")
    p.add_argument("--out", default="runs/train")
    p.add_argument("--resume", action="store_true", help="continue from <out>/checkpoint.npz if it exists")
    p.add_argument("--no-progress", action="store_true")

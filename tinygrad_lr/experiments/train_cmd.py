"""`tinygrad-lr train`: any model × dataset × optimizer × learning-rate method, with checkpoints and --resume."""
import os

import tinygrad_lr as tl
import tinygrad_lr.functional as F

from ..hyper.base import LRMethod
from ..train import evaluate, fit
from .common import METHODS, make_method, out_dir, write_csv, write_json

MODELS = ("mlp", "lenet", "lstm", "autoencoder", "lossgrad-cnn", "resnet18", "resnet20", "resnet56")
DATASETS = ("mnist", "fashion-mnist", "cifar10", "cifar100")


def build_model(name, dataset, sizes=None, hidden=128):
    import models
    channels, classes = (3, 100 if dataset == "cifar100" else 10) if dataset.startswith("cifar") else (1, 10)
    if name == "mlp":
        return models.MLP(sizes or [channels * (32 if channels == 3 else 28) ** 2, 512, 256, classes])
    if name == "lenet":
        return models.LeNet5()
    if name == "lstm":
        return models.LSTMClassifier(input_size=28, hidden_size=hidden, num_classes=classes)
    if name == "autoencoder":
        return models.Autoencoder()
    if name == "lossgrad-cnn":
        return models.LossgradCNN(num_classes=classes)
    if name in ("resnet18", "resnet20", "resnet56"):
        return getattr(models, name)(num_classes=classes)
    raise ValueError(f"unknown model {name!r}; choose from {MODELS}")


def load_data(dataset, root, model):
    import datasets
    loaders = {"mnist": datasets.load_mnist, "fashion-mnist": datasets.load_fashion_mnist,
               "cifar10": datasets.load_cifar10, "cifar100": datasets.load_cifar100}
    if dataset not in loaders:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {DATASETS}")
    tr, te = loaders[dataset](root, "train"), loaders[dataset](root, "test")
    if model == "lstm":  # rows of the image are the time steps
        tr, te = (tr[0].reshape(len(tr[0]), -1, tr[0].shape[-1]), tr[1]), (te[0].reshape(len(te[0]), -1, te[0].shape[-1]), te[1])
    return tr, te


def run(args):
    import datasets
    out = out_dir(args.out)
    tl.manual_seed(args.seed)
    (Xtr, ytr), (Xte, yte) = load_data(args.dataset, args.data_root, args.model)
    model = build_model(args.model, args.dataset)
    ae = args.model == "autoencoder"
    (Xtr, ytr), (Xva, yva) = datasets.train_val_split(Xtr, ytr, val_size=args.val_size, seed=args.seed)
    if args.train_size:
        Xtr, ytr = Xtr[:args.train_size], ytr[:args.train_size]
    val_loader = datasets.DataLoader(Xva, None if ae else yva, batch_size=args.batch_size, shuffle=True,
                                     seed=args.seed + 1000)
    val_iter = iter(())

    def val_closure():
        nonlocal val_iter
        try:
            batch = next(val_iter)
        except StopIteration:
            val_iter = iter(val_loader)
            batch = next(val_iter)
        x, y = (batch, batch) if ae else batch
        return (F.mse_loss if ae else F.cross_entropy)(model(x), y)

    stepper, sched = make_method(args.method, model.parameters(), args.lr, args.hyper_lr, val_closure,
                                 args.optimizer, args.momentum)
    train = datasets.DataLoader(Xtr, None if ae else ytr, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    loss_fn = F.mse_loss if ae else F.cross_entropy
    ckpt = os.path.join(out, "checkpoint.npz")
    hist = fit(model, stepper, train, args.epochs, loss_fn,
               val_loader=datasets.DataLoader(Xva, None if ae else yva, batch_size=1000), scheduler=sched,
               checkpoint_path=ckpt, resume=args.resume, progress=not args.no_progress, log=print)
    test = evaluate(model, datasets.DataLoader(Xte, None if ae else yte, batch_size=1000), loss_fn)
    res = {"config": {k: v for k, v in vars(args).items() if k != "func"}, "history": hist,
           "test": test, "lr_history": stepper.history if isinstance(stepper, LRMethod) else None}
    write_json(os.path.join(out, "metrics.json"), res)
    write_csv(os.path.join(out, "history.csv"), [{k: v for k, v in h.items() if not isinstance(v, list)}
                                                  for h in hist])
    _figure(hist, stepper, os.path.join(out, "training.png"))
    print("test " + " ".join(f"{k} {v:.4f}" for k, v in test.items()))
    print(f"wrote {out}/metrics.json, history.csv, training.png, checkpoint.npz")
    return res


def _figure(hist, stepper, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    ep = [h["epoch"] for h in hist]
    a.plot(ep, [h["loss"] for h in hist], "o-", label="train")
    if "val_loss" in hist[0]:
        a.plot(ep, [h["val_loss"] for h in hist], "o-", label="validation")
    a.set(xlabel="epoch", ylabel="loss")
    a.legend()
    if isinstance(stepper, LRMethod):
        lr = [h["lr"] if isinstance(h["lr"], float) else sum(h["lr"]) / len(h["lr"]) for h in stepper.history]
        b.plot(lr)
        b.set(xlabel="step", ylabel="η")
    else:
        b.plot(ep, [h["lr"] for h in hist], "o-")
        b.set(xlabel="epoch", ylabel="η")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def add_args(p):
    p.add_argument("--model", default="mlp", choices=MODELS)
    p.add_argument("--dataset", default="mnist", choices=DATASETS)
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "rmsprop", "adagrad", "adadelta"])
    p.add_argument("--method", default="sgd", choices=METHODS,
                   help="learning-rate method: sgd = the optimizer at fixed η; expdecay; adadelta; firstorder (Train); "
                        "firstorder-val; rthpo (E = validation loss, as seed 003); rthpo-train; lossgrad")
    p.add_argument("--lr", type=float, default=0.01, help="initial learning rate η̄")
    p.add_argument("--hyper-lr", type=float, default=1e-4, help="hyper-learning rate β")
    p.add_argument("--momentum", type=float, default=0.0)
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--val-size", type=int, default=10000, help="validation samples taken from the training set")
    p.add_argument("--train-size", type=int, default=None, help="use only this many training samples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-root", default=None, help="dataset root (default $TINYGRAD_LR_DATA, else ~/.cache/tinygrad_lr)")
    p.add_argument("--out", default="runs/train")
    p.add_argument("--resume", action="store_true", help="continue from <out>/checkpoint.npz if it exists")
    p.add_argument("--no-progress", action="store_true")

"""`tinygrad-lr train`'s computation: build the model, load the data with a validation split, train with the chosen
optimizer and learning-rate method (checkpoints every epoch, --resume), evaluate on the test split."""
import os

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import checkpoint
from tinygrad_lr.train import ValidationSampler, config_differences, evaluate, fit

from ..common.methods import make_method
from .config import COMPATIBLE, DATASETS, MODELS, UsageError, run_config, valid_pairs


def check_resume(args, out):
    """With --resume and a checkpoint in `out`: a UsageError naming the options that differ from the ones it was
    written with (before any data is loaded)."""
    ckpt = os.path.join(out, "checkpoint.npz")
    if not (args.resume and os.path.exists(ckpt)):
        return
    try:
        saved = checkpoint.load(ckpt).get("config")
    except ValueError as e:
        raise UsageError(f"--resume: {e}") from None
    diff = config_differences(saved, run_config(args))
    if diff:
        saved = saved or {}
        raise UsageError(f"--resume: {ckpt} was written with other settings: " + ", ".join(
            f"--{k.replace('_', '-')} {saved.get(k, '(unset)')} there, {getattr(args, k)} now" for k in diff)
            + "; use another --out, or the same settings to resume")


def build_model(name, dataset, sizes=None, hidden=128):
    from tinygrad_lr import models
    if name in COMPATIBLE and dataset not in COMPATIBLE[name]:
        raise ValueError(f"model {name!r} does not train on {dataset!r}; valid pairs: {valid_pairs()}")
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
    from tinygrad_lr import datasets
    loaders = {"mnist": datasets.load_mnist, "fashion-mnist": datasets.load_fashion_mnist,
               "cifar10": datasets.load_cifar10, "cifar100": datasets.load_cifar100}
    if dataset not in loaders:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {DATASETS}")
    tr, te = loaders[dataset](root, "train"), loaders[dataset](root, "test")
    if model == "lstm":  # rows of the image are the time steps
        tr, te = ((x.reshape(len(x), -1, x.shape[-1]), y) for x, y in (tr, te))
    if model == "autoencoder":  # the target is the input, as the 784 pixels the model outputs
        tr, te = ((x.reshape(len(x), -1), y) for x, y in (tr, te))
    return tr, te


def train(args, out):
    """Train as the options say, checkpointing to <out>/checkpoint.npz. Returns (stepper, history, test metrics)."""
    from tinygrad_lr import datasets
    tl.manual_seed(args.seed)
    (Xtr, ytr), (Xte, yte) = load_data(args.dataset, args.data_root, args.model)
    model = build_model(args.model, args.dataset)
    ae = args.model == "autoencoder"
    if args.val_size >= len(Xtr):
        raise UsageError(f"--val-size {args.val_size} leaves no training samples: {args.dataset} has {len(Xtr)}")
    (Xtr, ytr), (Xva, yva) = datasets.train_val_split(Xtr, ytr, val_size=args.val_size, seed=args.seed)
    if args.train_size:
        Xtr, ytr = Xtr[:args.train_size], ytr[:args.train_size]
    # the validation batches the closure reads: fit checkpoints their position, so --resume is bit for bit
    val_batches = ValidationSampler(datasets.DataLoader(Xva, None if ae else yva, batch_size=args.batch_size,
                                                        shuffle=True, seed=args.seed + 1000))

    def val_closure():
        batch = next(val_batches)
        x, y = (batch, batch) if ae else batch
        return (F.mse_loss if ae else F.cross_entropy)(model(x), y)

    stepper, sched = make_method(args.method, model.parameters(), args.lr, args.hyper_lr, val_closure,
                                 args.optimizer, args.momentum, hyperparams=args.hyperparams)
    train_loader = datasets.DataLoader(Xtr, None if ae else ytr, batch_size=args.batch_size, shuffle=True,
                                       seed=args.seed)
    loss_fn = F.mse_loss if ae else F.cross_entropy
    ckpt = os.path.join(out, "checkpoint.npz")
    hist = fit(model, stepper, train_loader, args.epochs, loss_fn,
               val_loader=datasets.DataLoader(Xva, None if ae else yva, batch_size=1000), scheduler=sched,
               checkpoint_path=ckpt, resume=args.resume, progress=not args.no_progress, log=print,
               val_sampler=val_batches, config=run_config(args))
    test = evaluate(model, datasets.DataLoader(Xte, None if ae else yte, batch_size=1000), loss_fn)
    return stepper, hist, test

r"""The README's results on real data: train the MLP, LeNet5 and the row-by-row LSTM on MNIST and the autoencoder on
Fashion-MNIST, on the CPU, and report test accuracy / MSE, epochs and wall time.

    python -m tinygrad_lr.examples.train_models [--models mlp lenet lstm autoencoder] [--data-root DIR] \
        [--out runs/models]

Writes runs/models/results.json and prints the table the README shows.
"""
import argparse
import json
import os
import time


import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import optim
from tinygrad_lr.train import evaluate, fit
from .common.data import add_data_root

# Each model: data, epochs, batch, optimizer (SGD with momentum or Adam) with cosine annealing over the run, target.
CONFIGS = {
    "mlp": dict(data="mnist", epochs=20, batch=128, opt="sgd", lr=0.05, loss="ce", target=0.980, normalize=True,
                build=lambda m: m.MLP([784, 512, 256, 10])),
    "lenet": dict(data="mnist", epochs=15, batch=128, opt="sgd", lr=0.05, loss="ce", target=0.990, normalize=True,
                  build=lambda m: m.LeNet5()),
    "lstm": dict(data="mnist", epochs=8, batch=128, opt="adam", lr=2e-3, loss="ce", target=0.975, rows=True,
                 normalize=True, build=lambda m: m.LSTMClassifier(input_size=28, hidden_size=128, num_classes=10)),
    "autoencoder": dict(data="fashion", epochs=10, batch=128, opt="adam", lr=1e-3, loss="mse", target=0.02,
                        flat=True, build=lambda m: m.Autoencoder()),
}


def load(cfg, root):
    from tinygrad_lr import datasets
    loader = datasets.load_mnist if cfg["data"] == "mnist" else datasets.load_fashion_mnist
    (Xtr, ytr), (Xte, yte) = (loader(root, s, flatten=cfg.get("flat", False), normalize=cfg.get("normalize", False))
                              for s in ("train", "test"))
    if cfg.get("rows"):  # 28 time steps of 28 pixels
        Xtr, Xte = Xtr.reshape(-1, 28, 28), Xte.reshape(-1, 28, 28)
    return Xtr, ytr, Xte, yte


def run(name, root=None, seed=0, epochs=None, progress=True, log=print):
    from tinygrad_lr import datasets, models
    cfg = CONFIGS[name]
    tl.manual_seed(seed)
    Xtr, ytr, Xte, yte = load(cfg, root)
    model = cfg["build"](models)
    epochs = epochs or cfg["epochs"]
    opt = optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9) if cfg["opt"] == "sgd" else \
        optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    ae = cfg["loss"] == "mse"
    train = datasets.DataLoader(Xtr, None if ae else ytr, batch_size=cfg["batch"], shuffle=True, seed=seed)
    test = datasets.DataLoader(Xte, None if ae else yte, batch_size=1000)
    loss_fn = F.mse_loss if ae else F.cross_entropy
    t0 = time.perf_counter()
    hist = fit(model, opt, train, epochs, loss_fn, scheduler=sched, progress=progress,
               log=lambda s: log(f"[{name}] {s}"))
    seconds = time.perf_counter() - t0
    res = evaluate(model, test, loss_fn)
    metric = res["loss"] if ae else res["accuracy"]
    return {"model": name, "dataset": "Fashion-MNIST" if cfg["data"] == "fashion" else "MNIST",
            "metric": "test MSE" if ae else "test accuracy", "value": metric, "target": cfg["target"],
            "met": bool(metric <= cfg["target"]) if ae else bool(metric >= cfg["target"]),
            "epochs": len(hist), "seconds": seconds,
            "optimizer": (f"SGD(lr={cfg['lr']}, momentum=0.9)" if cfg["opt"] == "sgd" else f"Adam(lr={cfg['lr']})")
            + " + cosine annealing", "normalized_inputs": cfg.get("normalize", False),
            "batch_size": cfg["batch"], "history": hist}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    add_data_root(ap)
    ap.add_argument("--epochs", type=int, default=None, help="override every model's epoch count")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/models")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "results.json")
    results = json.load(open(path)) if os.path.exists(path) else {}
    for name in args.models:
        results[name] = run(name, args.data_root, args.seed, args.epochs, not args.no_progress)
        with open(path, "w") as f:
            json.dump(results, f, indent=1)
    print(f"\n| model | data | {'metric':<13} | value | target | epochs | wall time |")
    print("|---|---|---|---|---|---|---|")
    for r in results.values():
        v = f"{r['value']:.4f}" if r["metric"] == "test MSE" else f"{100 * r['value']:.2f} %"
        t = f"≤ {r['target']}" if r["metric"] == "test MSE" else f"≥ {100 * r['target']:.1f} %"
        print(f"| {r['model']} | {r['dataset']} | {r['metric']} | {v} | {t} | {r['epochs']} | "
              f"{r['seconds'] / 60:.1f} min |")
    print(f"\nwrote {path}")
    return results


if __name__ == "__main__":
    main()

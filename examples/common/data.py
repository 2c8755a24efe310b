"""MNIST with a validation split taken from its training set."""


def mnist_split(root=None, val_size=10000, seed=0, flatten=True):
    """MNIST as (train, val, test) arrays; the validation set is taken from the training set (seeded)."""
    from tinygrad_lr import datasets
    X, y = datasets.load_mnist(root, "train", flatten=flatten)
    Xte, yte = datasets.load_mnist(root, "test", flatten=flatten)
    (Xtr, ytr), (Xva, yva) = datasets.train_val_split(X, y, val_size=val_size, seed=seed)
    return (Xtr, ytr), (Xva, yva), (Xte, yte)


def add_data_root(p, dask=False):
    """The --data-root option, the same in every command (datasets.data_root's rule when it is not given)."""
    p.add_argument("--data-root", default=None,
                   help="dataset root (default $TINYGRAD_LR_DATA, else ../shared/data beside the checkout, else "
                        "~/.cache/tinygrad_lr)" + ("; with --executor dask it is read on the workers" if dask else ""))

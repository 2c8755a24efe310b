"""MNIST with a validation split taken from its training set."""


def mnist_split(root=None, val_size=10000, seed=0, flatten=True):
    """MNIST as (train, val, test) arrays; the validation set is taken from the training set (seeded)."""
    from tinygrad_lr import datasets
    X, y = datasets.load_mnist(root, "train", flatten=flatten)
    Xte, yte = datasets.load_mnist(root, "test", flatten=flatten)
    (Xtr, ytr), (Xva, yva) = datasets.train_val_split(X, y, val_size=val_size, seed=seed)
    return (Xtr, ytr), (Xva, yva), (Xte, yte)

"""MNIST and Fashion-MNIST: gzip-compressed IDX files under root/mnist and root/fashion-mnist.

MNIST: LeCun, Cortes & Burges (1998), "The MNIST database of handwritten digits". Fashion-MNIST: Xiao, Rasul &
Vollgraf (2017), "Fashion-MNIST: a novel image dataset for benchmarking machine learning algorithms",
arXiv:1708.07747."""
import gzip

import numpy as np

from .download import data_root, fetch_all

SPLITS = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
          "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}

MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                 "https://storage.googleapis.com/cvdf-datasets/mnist/")
# sha256 of the UNCOMPRESSED files: mirrors re-gzip, so only the content is canonical.
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081

FASHION_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
# sha256 of the .gz files as published upstream (served byte for byte).
FASHION_SHA256 = {
    "train-images-idx3-ubyte": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "train-labels-idx1-ubyte": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "t10k-images-idx3-ubyte": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    "t10k-labels-idx1-ubyte": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
}
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530  # of the 60,000 training images (0.28604, 0.35302)
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")


def check_split(split, valid):
    if split not in valid:
        raise ValueError(f"unknown split {split!r}; valid splits are {', '.join(map(repr, valid))}")


def parse_idx(data, ndim, name="IDX data"):
    """Parse an IDX file of unsigned bytes (magic 0x00000800 + ndim), its bytes given as data, into a uint8 array
    of its stated shape; name: what error messages call it."""
    if len(data) < 4 + 4 * ndim:
        raise ValueError(f"{name}: too short for an IDX header ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if magic != 0x0800 + ndim:
        raise ValueError(f"{name}: magic number {magic:#010x}, expected {0x0800 + ndim:#010x} (uint8, {ndim}-d)")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    body = memoryview(data)[4 + 4 * ndim:]
    if len(body) != int(np.prod(shape)):
        raise ValueError(f"{name}: header says shape {shape} ({int(np.prod(shape))} bytes), body has {len(body)}")
    return np.frombuffer(body, np.uint8).reshape(shape)


def _load(folder, mirrors, sha256, gunzip, mean, std, root, split, download, normalize, flatten):
    check_split(split, tuple(SPLITS))
    d = data_root(root, folder) / folder
    specs = [dict(urls=[m + f + ".gz" for m in mirrors], dest=d / (f + ".gz"), sha256=sha256[f], gunzip=gunzip)
             for f in SPLITS[split]]
    img_path, lbl_path = fetch_all(specs, download=download)
    with gzip.open(img_path, "rb") as f:
        images = parse_idx(f.read(), 3, img_path.name)
    with gzip.open(lbl_path, "rb") as f:
        labels = parse_idx(f.read(), 1, lbl_path.name)
    if len(images) != len(labels):
        raise ValueError(f"{img_path.name} has {len(images)} images but {lbl_path.name} has {len(labels)} labels")
    X = images.reshape(len(images), -1) if flatten else images[:, None]
    X = X.astype(np.float32) / np.float32(255)
    if normalize:
        X = (X - np.float32(mean)) / np.float32(std)
    return X, labels.astype(np.int64)


def load_mnist(root=None, split="train", download=True, normalize=False, flatten=False):
    """MNIST as (X, y): X float32 (N, 1, 28, 28) in [0, 1] ((N, 784) with flatten), y int64 in 0..9.

    normalize=True standardises with the training set's mean/std (0.1307, 0.3081). Files live in root/mnist
    and are verified by the sha256 of their uncompressed content.

    root: the data root (None: $TINYGRAD_LR_DATA, else ~/.cache/tinygrad_lr); split: "train" or "test";
    download: fetch missing files (False: only use what is there, else DatasetNotFoundError).
    """
    return _load("mnist", MNIST_MIRRORS, MNIST_SHA256, True, MNIST_MEAN, MNIST_STD,
                 root, split, download, normalize, flatten)


def load_fashion_mnist(root=None, split="train", download=True, normalize=False, flatten=False):
    """Fashion-MNIST, as load_mnist (files in root/fashion-mnist, verified by the sha256 of the .gz files; root,
    split, download, normalize and flatten the same)."""
    return _load("fashion-mnist", FASHION_MIRRORS, FASHION_SHA256, False, FASHION_MEAN, FASHION_STD,
                 root, split, download, normalize, flatten)

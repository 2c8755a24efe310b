"""Datasets for tinygrad_lr: downloaded on first use, checksum-verified, cached under a data root.

The data root is the `root` argument, else $TINYGRAD_LR_DATA, else ../shared/data beside a source checkout when
it holds the set, else ~/.cache/tinygrad_lr (download.data_root).
"""
from .cifar import CIFAR10_CLASSES, RestrictedUnpickler, load_cifar10, load_cifar100
from .download import ChecksumError, DatasetError, DatasetNotFoundError, data_root, extract_tar, fetch, fetch_all
from .imdb import load_imdb, tokenize
from .loader import DataLoader, train_val_split
from .mnist import FASHION_CLASSES, load_fashion_mnist, load_mnist, parse_idx

__all__ = ["load_mnist", "load_fashion_mnist", "load_cifar10", "load_cifar100", "load_imdb", "tokenize",
           "DataLoader", "train_val_split", "data_root", "fetch", "fetch_all", "extract_tar", "parse_idx",
           "RestrictedUnpickler", "DatasetError", "DatasetNotFoundError", "ChecksumError", "CIFAR10_CLASSES",
           "FASHION_CLASSES"]

"""IMDb movie reviews (Maas et al. 2011, "Learning word vectors for sentiment analysis", ACL 2011) as padded word-id
sequences for binary sentiment classification."""
import os
import re
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

from .download import DatasetError, data_root, extract_tar, fetch
from .mnist import check_split

URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
PAD, UNK = 0, 1
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")  # letters/digits, with apostrophes only inside a word (don't, o'neil)
_CACHE_VERSION = 1


def tokenize(text):
    """The words of the string text: lowercase, drop <br /> tags, split on anything that is not a letter or digit
    (keeping inner apostrophes)."""
    return _WORD.findall(_BR.sub(" ", text.lower()))


def _natural(path):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def read_split(tree, split):
    """(list of token lists, labels) for aclImdb/<split>: neg (0) then pos (1), files in numeric order. A class
    folder that is missing or has no reviews is an error naming it."""
    docs, labels = [], []
    for label, sub in ((0, "neg"), (1, "pos")):
        files = sorted((Path(tree) / split / sub).glob("*.txt"), key=_natural)
        if not files:
            raise DatasetError(f"{Path(tree) / split / sub}: no reviews (*.txt); the IMDb tree is incomplete")
        for f in files:
            docs.append(tokenize(f.read_text(encoding="utf-8", errors="replace")))
            labels.append(label)
    return docs, np.asarray(labels, np.int64)


def build_vocab(docs, vocab_size):
    """{word: id} with "<pad>": 0, "<unk>": 1 and the `vocab_size` most frequent words from 2 on.

    Ties in frequency are broken alphabetically, so the vocabulary does not depend on file order.
    """
    counts = Counter(w for doc in docs for w in doc)
    words = sorted(counts, key=lambda w: (-counts[w], w))[:vocab_size]
    return {"<pad>": PAD, "<unk>": UNK, **{w: i + 2 for i, w in enumerate(words)}}


def encode(docs, vocab, max_len):
    """int64 (N, max_len): the first max_len tokens of each review (longer ones are truncated at the end),
    then PAD (0) up to max_len; words outside the vocabulary become UNK (1)."""
    X = np.full((len(docs), max_len), PAD, np.int64)
    for i, doc in enumerate(docs):
        ids = [vocab.get(w, UNK) for w in doc[:max_len]]
        X[i, :len(ids)] = ids
    return X


def _has_reviews(folder):
    return folder.is_dir() and any(folder.glob("*.txt"))


def _keep(member):
    return "/unsup/" not in member + "/"  # 50,000 unlabelled reviews that no split here uses


def load_imdb(root=None, split="train", vocab_size=20000, max_len=256, download=True):
    """IMDb as (X int64 (N, max_len), y int64 (1 = positive, 0 = negative), vocab {word: id}).

    The vocabulary comes from the training reviews only. Reviews keep their first `max_len` tokens and are
    padded with 0 at the end; see encode(). Both splits are cached together in root/imdb as a .npz (no pickle).
    `len(vocab)` (= vocab_size + 2 with a full vocabulary) is the embedding table size a model needs.

    root: the data root (None: $TINYGRAD_LR_DATA, else ~/.cache/tinygrad_lr); split: "train" or "test";
    vocab_size: the most frequent words kept; download: fetch missing files (False: only use what is there, else
    DatasetNotFoundError).
    """
    check_split(split, ("train", "test"))
    if vocab_size < 1 or max_len < 1:
        raise ValueError(f"vocab_size and max_len must be positive, got {vocab_size} and {max_len}")
    d = data_root(root, "imdb") / "imdb"
    cache = d / f"imdb_v{_CACHE_VERSION}_vocab{vocab_size}_len{max_len}.npz"
    if cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as z:
                words = z["words"].tolist()
                return z[f"X_{split}"], z[f"y_{split}"], {w: i for i, w in enumerate(words)}
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
            pass  # a truncated or damaged cache: rebuilt from the reviews below (and written again)
    tree = d / "aclImdb"
    if not all(_has_reviews(tree / sp / sub) for sp in ("train", "test") for sub in ("pos", "neg")):
        tar = fetch([URL], d / "aclImdb_v1.tar.gz", sha256=SHA256, download=download)
        tree = extract_tar(tar, d, "aclImdb", keep=_keep, replace=tree.exists())
    train_docs, y_train = read_split(tree, "train")
    vocab = build_vocab(train_docs, vocab_size)
    arrays = {"X_train": encode(train_docs, vocab, max_len), "y_train": y_train}
    del train_docs
    test_docs, arrays["y_test"] = read_split(tree, "test")
    arrays["X_test"] = encode(test_docs, vocab, max_len)
    _save_npz(cache, words=np.array(list(vocab), dtype=str), **arrays)
    return arrays[f"X_{split}"], arrays[f"y_{split}"], vocab


def _save_npz(path, **arrays):
    """Write atomically; a read-only data folder just means no cache."""
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except OSError:
        pass
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)

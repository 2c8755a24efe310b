"""datasets/: real MNIST/Fashion-MNIST from shared/data; CIFAR and IMDb on small files in the real format."""
import gzip
import hashlib
import io
import os
import pickle
import shutil
import struct
import tarfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import tinygrad_lr as tl
from tinygrad_lr import datasets
from tinygrad_lr.datasets import cifar, download, imdb


def _shared_root():
    env = os.environ.get("TINYGRAD_LR_DATA")
    for p in ([Path(env)] if env else []) + [Path(__file__).resolve().parents[2] / "shared" / "data"]:
        if (p / "mnist").is_dir() and (p / "fashion-mnist").is_dir():
            return p
    return None


@pytest.fixture(scope="module")
def shared():
    root = _shared_root()
    if root is None:
        pytest.skip("real MNIST/Fashion-MNIST not found ($TINYGRAD_LR_DATA or ../shared/data)")
    return root


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class Mirrors:
    """Stands in for download._urlopen: serves {url: local file} and records every request."""

    def __init__(self, files=None):
        self.files, self.calls = dict(files or {}), []

    def __call__(self, url, timeout=60):
        self.calls.append(url)
        if url not in self.files:
            raise urllib.error.URLError(f"offline (test): {url}")
        return urllib.request.urlopen(Path(self.files[url]).resolve().as_uri())


@pytest.fixture
def net(monkeypatch):
    m = Mirrors()
    monkeypatch.setattr(download, "_urlopen", m)
    return m


# ---- real MNIST / Fashion-MNIST ---------------------------------------------------------------------------------
@pytest.mark.parametrize("load", [datasets.load_mnist, datasets.load_fashion_mnist])
def test_real_mnist_like(shared, net, load):
    before = {p: p.stat().st_mtime for p in shared.rglob("*")}
    sizes = {}
    for split, n in (("train", 60000), ("test", 10000)):
        X, y = load(root=shared, split=split)
        assert X.shape == (n, 1, 28, 28) and X.dtype == np.float32 and y.shape == (n,) and y.dtype == np.int64
        assert X.min() == 0.0 and X.max() == 1.0 and y.min() == 0 and y.max() == 9
        counts = np.bincount(y, minlength=10)
        assert counts.sum() == n and (counts > 0.08 * n).all()
        sizes[split] = X
    Xf, _ = load(root=shared, split="test", flatten=True)
    assert Xf.shape == (10000, 784) and np.array_equal(Xf, sizes["test"].reshape(10000, 784))
    assert net.calls == []  # verified files are used as they are: no download, nothing written
    assert {p: p.stat().st_mtime for p in shared.rglob("*")} == before


def test_normalization_constants_match_training_sets(shared):
    for load in (datasets.load_mnist, datasets.load_fashion_mnist):
        Xn, _ = load(root=shared, normalize=True, flatten=True)
        assert abs(float(Xn.mean(dtype=np.float64))) < 1e-3 and abs(float(Xn.std(dtype=np.float64)) - 1) < 1e-3


def test_mnist_downloads_from_second_mirror_and_checks_uncompressed_sha(shared, net, tmp_path):
    # the shared .gz files are re-gzipped, as the real mirrors' are: only the uncompressed sha256 matches
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        net.files[datasets.mnist.MNIST_MIRRORS[1] + name] = shared / "mnist" / name
    X, y = datasets.load_mnist(root=tmp_path, split="test")
    assert X.shape == (10000, 1, 28, 28) and len(net.calls) == 4  # each file: first mirror fails, second serves
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == ["t10k-images-idx3-ubyte.gz",
                                                                     "t10k-labels-idx1-ubyte.gz"]
    datasets.load_mnist(root=tmp_path, split="test")
    assert len(net.calls) == 4  # cached


def test_data_root_order(monkeypatch, tmp_path):
    monkeypatch.setenv("TINYGRAD_LR_DATA", str(tmp_path / "env"))
    assert datasets.data_root(tmp_path / "arg") == tmp_path / "arg"
    assert datasets.data_root() == tmp_path / "env"
    monkeypatch.delenv("TINYGRAD_LR_DATA")
    assert datasets.data_root() == Path.home() / ".cache" / "tinygrad_lr"


def test_data_root_finds_shared_data_beside_the_checkout(monkeypatch, tmp_path):
    """With no root and no $TINYGRAD_LR_DATA, a set that ../shared/data (beside the checkout) holds is read there,
    the way `make demo` finds it; a set it does not hold goes to the cache (never downloaded into shared/)."""
    from tinygrad_lr import _checkout
    repo, shared = tmp_path / "repo", tmp_path / "shared" / "data"
    (shared / "mnist").mkdir(parents=True)
    repo.mkdir()
    (repo / "setup.cfg").write_text("")
    monkeypatch.setattr(_checkout, "ROOT", str(repo))
    monkeypatch.delenv("TINYGRAD_LR_DATA", raising=False)
    assert datasets.data_root(None, "mnist") == shared
    assert datasets.data_root(None, "cifar-10") == Path.home() / ".cache" / "tinygrad_lr"
    assert datasets.data_root(tmp_path / "arg", "mnist") == tmp_path / "arg"
    monkeypatch.setenv("TINYGRAD_LR_DATA", str(tmp_path / "env"))
    assert datasets.data_root(None, "mnist") == tmp_path / "env"
    monkeypatch.delenv("TINYGRAD_LR_DATA")
    (repo / "setup.cfg").unlink()  # an installed copy: no checkout, no shared folder
    assert datasets.data_root(None, "mnist") == Path.home() / ".cache" / "tinygrad_lr"


def test_idx_parsing_checks():
    good = struct.pack(">IIII", 0x803, 2, 2, 3) + bytes(12)
    assert datasets.parse_idx(good, 3).shape == (2, 2, 3)
    with pytest.raises(ValueError, match="magic number"):
        datasets.parse_idx(good, 1)
    with pytest.raises(ValueError, match="body has 11"):
        datasets.parse_idx(good[:-1], 3)


@pytest.mark.parametrize("load", [datasets.load_mnist, datasets.load_fashion_mnist, datasets.load_cifar10,
                                  datasets.load_cifar100, datasets.load_imdb])
def test_unknown_split(load, tmp_path, net):
    with pytest.raises(ValueError, match=r"'valid'.*'train', 'test'"):
        load(root=tmp_path, split="valid")
    assert net.calls == []


# ---- fetch: checksums, corruption, offline, atomicity ------------------------------------------------------------
@pytest.fixture
def blob(tmp_path):
    src = tmp_path / "mirror" / "blob.bin"
    src.parent.mkdir()
    src.write_bytes(os.urandom(3000))
    return src


def test_fetch_verifies_and_caches(blob, net, tmp_path):
    net.files["https://b/blob.bin"] = blob
    dest = tmp_path / "data" / "blob.bin"
    md5 = hashlib.md5(blob.read_bytes()).hexdigest()
    assert datasets.fetch(["https://a/blob.bin", "https://b/blob.bin"], dest, sha256=sha256(blob), md5=md5) == dest
    assert dest.read_bytes() == blob.read_bytes() and net.calls == ["https://a/blob.bin", "https://b/blob.bin"]
    datasets.fetch(["https://a/blob.bin"], dest, sha256=sha256(blob))
    assert len(net.calls) == 2


def test_wrong_checksum_from_mirror_is_rejected(blob, net, tmp_path):
    net.files["https://a/blob.bin"] = blob
    dest = tmp_path / "data" / "blob.bin"
    with pytest.raises(datasets.DatasetNotFoundError, match="sha256 mismatch"):
        datasets.fetch(["https://a/blob.bin"], dest, sha256="0" * 64)
    assert not dest.parent.exists()  # the bad download was not kept, under any name, nor the folder made for it


def test_cached_file_with_wrong_checksum_offline(blob, net, tmp_path):
    dest = tmp_path / "blob.bin"
    dest.write_bytes(b"not the right bytes")
    want = sha256(blob)
    with pytest.raises(datasets.ChecksumError) as e:
        datasets.fetch(["https://a/blob.bin"], dest, sha256=want)
    msg = str(e.value)
    assert str(dest) in msg and want in msg and hashlib.sha256(b"not the right bytes").hexdigest() in msg
    assert isinstance(e.value, RuntimeError)


@pytest.mark.parametrize("gunzip", [False, True])
def test_truncated_cache_is_fetched_again(blob, net, tmp_path, gunzip):
    src = blob
    if gunzip:
        src = tmp_path / "mirror" / "blob.bin.gz"
        src.write_bytes(gzip.compress(blob.read_bytes()))
    net.files["https://a/f"] = src
    dest = tmp_path / "data" / src.name
    dest.parent.mkdir()
    dest.write_bytes(src.read_bytes()[:-100])  # an interrupted earlier download
    datasets.fetch(["https://a/f"], dest, sha256=sha256(blob), gunzip=gunzip)
    assert dest.read_bytes() == src.read_bytes() and net.calls == ["https://a/f"]


def test_offline_without_cache_names_files_folder_and_urls(net, tmp_path):
    with pytest.raises(datasets.DatasetNotFoundError) as e:
        datasets.load_mnist(root=tmp_path, split="train")
    msg = str(e.value)
    assert isinstance(e.value, RuntimeError)
    assert "train-images-idx3-ubyte.gz" in msg and "train-labels-idx1-ubyte.gz" in msg
    assert str(tmp_path / "mnist") in msg
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz" in msg
    assert "https://storage.googleapis.com/cvdf-datasets/mnist/train-labels-idx1-ubyte.gz" in msg


def test_download_false_does_not_touch_the_network(net, tmp_path):
    with pytest.raises(datasets.DatasetNotFoundError, match="download=False"):
        datasets.load_fashion_mnist(root=tmp_path, split="test", download=False)
    assert net.calls == []


class _Broken(io.BytesIO):
    """A response that delivers some bytes, then fails (or just ends early, announcing more)."""

    def __init__(self, data, length, fail):
        super().__init__(data)
        self.headers, self.fail = {"Content-Length": str(length)}, fail

    def read(self, n=-1):
        chunk = super().read(n)
        if not chunk and self.fail:
            raise ConnectionResetError("connection dropped (test)")
        return chunk


@pytest.mark.parametrize("fail", [True, False])
def test_interrupted_download_leaves_no_file(monkeypatch, tmp_path, fail):
    monkeypatch.setattr(download, "_urlopen", lambda url, timeout=60: _Broken(b"x" * 1000, 5000, fail))
    dest = tmp_path / "data" / "big.bin"
    with pytest.raises(datasets.DatasetNotFoundError, match="ConnectionResetError" if fail else "incomplete"):
        datasets.fetch(["https://a/big.bin"], dest)  # no checksum: the length check alone must catch it
    assert not dest.parent.exists()  # no partial file, and no empty folder


def test_tar_extraction_refuses_path_traversal_and_skips_links(tmp_path):
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        _add(tf, "top/ok.txt", b"fine")
        link = tarfile.TarInfo("top/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
    out = datasets.extract_tar(archive, tmp_path, "top")
    assert (out / "ok.txt").read_bytes() == b"fine" and not (out / "link").exists()
    with tarfile.open(archive, "w:gz") as tf:
        _add(tf, "top2/ok.txt", b"fine")
        _add(tf, "top2/../../escaped.txt", b"gotcha")
    (tmp_path / "x").mkdir()
    with pytest.raises(datasets.DatasetError, match="unsafe path"):
        datasets.extract_tar(archive, tmp_path / "x", "top2")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "x" / "top2").exists()
    assert list((tmp_path / "x").iterdir()) == []  # the temporary tree is gone too


def _add(tf, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tf.addfile(info, io.BytesIO(data))


# ---- CIFAR ---------------------------------------------------------------------------------------------------------
class Py2Pickler(pickle._Pickler):
    """Writes what Python 2's cPickle wrote for the real CIFAR files: byte strings as py2 `str` opcodes
    (so keys read back as b"data" or, with encoding='latin1', "data") and numpy under its old name numpy.core."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj):
        n = len(obj)
        self.write((pickle.SHORT_BINSTRING + bytes([n]) if n < 256 else pickle.BINSTRING + struct.pack("<i", n)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes

    def save_global(self, obj, name=None):
        module = obj.__module__.replace("numpy._core", "numpy.core")
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__qualname__}\n".encode())
        self.memoize(obj)


def py2_pickle(obj):
    f = io.BytesIO()
    Py2Pickler(f, protocol=2).dump(obj)
    return f.getvalue()


def _batch(rng, n, **labels):
    return {b"batch_label": b"batch (test)", b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [b"img_%d.png" % i for i in range(n)], **{k.encode(): v for k, v in labels.items()}}


def _cifar_tar(path, top, members):
    with tarfile.open(path, "w:gz") as tf:
        for name, obj in members.items():
            _add(tf, f"{top}/{name}", obj if isinstance(obj, bytes) else py2_pickle(obj))
    return path


@pytest.fixture
def cifar10_tar(tmp_path, monkeypatch):
    """A cifar-10-python.tar.gz in the real layout (6 images per training batch, 4 test) and its batches."""
    rng = np.random.default_rng(0)
    batches = {f"data_batch_{i}": _batch(rng, 6, labels=rng.integers(0, 10, 6).tolist()) for i in range(1, 6)}
    batches["test_batch"] = _batch(rng, 4, labels=[0, 9, 3, 3])
    meta = {b"num_cases_per_batch": 6, b"label_names": [c.encode() for c in datasets.CIFAR10_CLASSES],
            b"num_vis": 3072}
    tar = _cifar_tar(tmp_path / "mirror.tar.gz", "cifar-10-batches-py",
                     {**batches, "batches.meta": meta, "readme.html": b"<html></html>"})
    monkeypatch.setitem(cifar._SETS["cifar10"], "sha256", sha256(tar))
    return tar, batches


def test_cifar10(cifar10_tar, net, tmp_path):
    tar, batches = cifar10_tar
    net.files[cifar._SETS["cifar10"]["url"]] = tar
    root = tmp_path / "data"
    X, y = datasets.load_cifar10(root=root)
    assert X.shape == (30, 3, 32, 32) and X.dtype == np.float32 and y.dtype == np.int64
    assert 0 <= X.min() and X.max() <= 1
    want = np.concatenate([batches[f"data_batch_{i}"][b"data"] for i in range(1, 6)])
    assert np.array_equal(X, want.reshape(30, 3, 32, 32) / np.float32(255))  # channel-major: R plane, G, B
    assert y.tolist() == sum((batches[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])
    Xt, yt = datasets.load_cifar10(root=root, split="test", normalize=True)
    assert yt.tolist() == [0, 9, 3, 3]
    raw = batches["test_batch"][b"data"].reshape(4, 3, 32, 32) / np.float32(255)
    np.testing.assert_allclose(Xt[:, 2], (raw[:, 2] - cifar.CIFAR10_MEAN[2]) / cifar.CIFAR10_STD[2], rtol=1e-5)
    assert net.calls == [cifar._SETS["cifar10"]["url"]]  # downloaded and extracted once
    assert sorted(p.name for p in (root / "cifar10").iterdir()) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]


def test_cifar10_wrong_archive_checksum(cifar10_tar, net, tmp_path, monkeypatch):
    net.files[cifar._SETS["cifar10"]["url"]] = cifar10_tar[0]
    monkeypatch.setitem(cifar._SETS["cifar10"], "sha256", "f" * 64)
    with pytest.raises(datasets.DatasetNotFoundError, match="sha256 mismatch"):
        datasets.load_cifar10(root=tmp_path / "data")
    assert not (tmp_path / "data" / "cifar10" / "cifar-10-batches-py").exists()


def test_cifar100_fine_and_coarse(tmp_path, net, monkeypatch):
    rng = np.random.default_rng(1)
    train = _batch(rng, 8, fine_labels=list(range(90, 98)), coarse_labels=list(range(8)))
    test = _batch(rng, 3, fine_labels=[5, 6, 7], coarse_labels=[19, 0, 1])
    meta = {b"fine_label_names": [b"c%d" % i for i in range(100)],
            b"coarse_label_names": [b"s%d" % i for i in range(20)]}
    tar = _cifar_tar(tmp_path / "c100.tar.gz", "cifar-100-python", {"train": train, "test": test, "meta": meta})
    monkeypatch.setitem(cifar._SETS["cifar100"], "sha256", sha256(tar))
    net.files[cifar._SETS["cifar100"]["url"]] = tar
    X, y = datasets.load_cifar100(root=tmp_path)
    assert X.shape == (8, 3, 32, 32) and y.tolist() == list(range(90, 98))
    assert datasets.load_cifar100(root=tmp_path, label="coarse")[1].tolist() == list(range(8))
    Xt, yt = datasets.load_cifar100(root=tmp_path, split="test", label="coarse")
    assert Xt.shape == (3, 3, 32, 32) and yt.tolist() == [19, 0, 1]
    with pytest.raises(ValueError, match="'fine', 'coarse'"):
        datasets.load_cifar100(root=tmp_path, label="medium")


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_cifar_pickle_calling_os_system_is_refused(tmp_path, monkeypatch, net):
    marker = tmp_path / "pwned"
    evil = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [_Evil(marker)]}, protocol=2)
    pickle.loads(pickle.dumps(_Evil(tmp_path / "control")))  # the payload does work with plain pickle ...
    assert (tmp_path / "control").exists()
    tar = _cifar_tar(tmp_path / "evil.tar.gz", "cifar-10-batches-py", {"test_batch": evil})
    monkeypatch.setitem(cifar._SETS["cifar10"], "sha256", sha256(tar))
    net.files[cifar._SETS["cifar10"]["url"]] = tar
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load global (posix|os)\.system"):
        datasets.load_cifar10(root=tmp_path / "data", split="test")  # ... but not through the loader
    assert not marker.exists()
    for bad in (b"cbuiltins\neval\n(S'1'\ntR.", b"c_codecs\nencode\n(X\x01\x00\x00\x00aX\x06\x00\x00\x00base64tR."):
        with pytest.raises(pickle.UnpicklingError, match="refusing"):
            datasets.RestrictedUnpickler(io.BytesIO(bad)).load()


# ---- IMDb ----------------------------------------------------------------------------------------------------------
IMDB_TRAIN = {
    "pos": ["Great movie!<br /><br />Great acting, great story.", "I didn't hate it: great fun; the end."],
    "neg": ["Bad. Bad bad movie.", "The worst... the acting was bad, the story O'Neil wrote was dull."],
}
IMDB_TEST = {"pos": ["A great, great surprise"], "neg": ["zebra zebra zebra bad"]}


@pytest.fixture
def imdb_tar(tmp_path, monkeypatch):
    path = tmp_path / "aclImdb_v1.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for split, docs in (("train", IMDB_TRAIN), ("test", IMDB_TEST)):
            for sub, texts in docs.items():
                for i, text in enumerate(texts):
                    _add(tf, f"aclImdb/{split}/{sub}/{i}_{7 if sub == 'pos' else 2}.txt", text.encode())
        _add(tf, "aclImdb/train/unsup/0_0.txt", b"zebra " * 100)  # must not count: unlabelled, skipped
        _add(tf, "aclImdb/imdb.vocab", b"the\n")
    monkeypatch.setattr(imdb, "SHA256", sha256(path))
    return path


def test_tokenizer():
    assert datasets.tokenize("Didn't<br />LIKE it,O'Neil's 'quote' x_y 42") == \
        ["didn't", "like", "it", "o'neil's", "quote", "x", "y", "42"]


def test_imdb(imdb_tar, net, tmp_path):
    net.files[imdb.URL] = imdb_tar
    X, y, vocab = datasets.load_imdb(root=tmp_path / "data", vocab_size=6, max_len=5)
    # train counts: great 4, bad 4, the 4, movie 2, acting 2, story 2, was 2 (tie -> alphabetical), then 1s
    assert vocab == {"<pad>": 0, "<unk>": 1, "bad": 2, "great": 3, "the": 4, "acting": 5, "movie": 6, "story": 7}
    assert "zebra" not in vocab  # only in test and unsup
    assert X.dtype == np.int64 and X.shape == (4, 5) and y.tolist() == [0, 0, 1, 1]  # neg then pos
    assert X[0].tolist() == [2, 2, 2, 6, 0]  # "bad bad bad movie": padded at the end
    assert X[2].tolist() == [3, 6, 3, 5, 3]  # "great movie great acting great story": first 5 tokens kept
    assert X[3].tolist() == [1, 1, 1, 1, 3]  # i didn't hate it great: unknown words -> 1
    Xt, yt, vocab_t = datasets.load_imdb(root=tmp_path / "data", split="test", vocab_size=6, max_len=5)
    assert vocab_t == vocab and yt.tolist() == [0, 1]
    assert Xt.tolist() == [[1, 1, 1, 2, 0], [1, 3, 3, 1, 0]]
    assert net.calls == [imdb.URL]
    assert not (tmp_path / "data" / "imdb" / "aclImdb" / "train" / "unsup").exists()
    X2, _, vocab2 = datasets.load_imdb(root=tmp_path / "data", vocab_size=1000, max_len=3)
    assert len(vocab2) == 2 + 17 and X2.shape == (4, 3) and (X2 > 1).all()  # every train word is known


def test_imdb_uses_npz_cache(imdb_tar, net, tmp_path):
    net.files[imdb.URL] = imdb_tar
    first = datasets.load_imdb(root=tmp_path, vocab_size=4, max_len=8)
    caches = list((tmp_path / "imdb").glob("*.npz"))
    assert len(caches) == 1
    with np.load(caches[0], allow_pickle=False) as z:  # plain arrays, no pickled objects
        assert set(z.files) == {"X_train", "y_train", "X_test", "y_test", "words"}
    shutil.rmtree(tmp_path / "imdb" / "aclImdb")
    again = datasets.load_imdb(root=tmp_path, vocab_size=4, max_len=8)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1]) and first[2] == again[2]


# ---- DataLoader / train_val_split ---------------------------------------------------------------------------------
def _data(n=10):
    return np.arange(n * 2, dtype=np.float32).reshape(n, 2), np.arange(n)


def _epoch(loader):
    return [yb.numpy().tolist() for _, yb in loader]


def test_loader_batches():
    X, y = _data(10)
    loader = datasets.DataLoader(X, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(xb) for xb, _ in batches] == [4, 4, 2]
    xb, yb = batches[0]
    assert isinstance(xb, tl.Tensor) and xb.dtype == np.float32 and xb.device == tl.get_default_device()
    assert yb.dtype == np.int64 and np.array_equal(xb.numpy(), X[:4]) and yb.numpy().tolist() == [0, 1, 2, 3]
    dl = datasets.DataLoader(X, y, batch_size=4, drop_last=True)
    assert len(dl) == 2 and [len(b) for _, b in dl] == [4, 4]
    only_x = list(datasets.DataLoader(X, batch_size=16))
    assert len(only_x) == 1 and isinstance(only_x[0], tl.Tensor) and only_x[0].shape == (10, 2)


def test_loader_seeded_shuffle():
    X, y = _data(50)
    a, b = (datasets.DataLoader(X, y, batch_size=8, shuffle=True, seed=3) for _ in range(2))
    e1a, e2a = _epoch(a), _epoch(a)
    assert e1a == _epoch(b) and e2a == _epoch(b)  # same seed, same orders
    assert e1a != e2a  # a new order every epoch
    assert sorted(sum(e1a, [])) == list(range(50))  # each sample once per epoch
    assert _epoch(datasets.DataLoader(X, y, batch_size=8, shuffle=True, seed=4)) != e1a
    tl.manual_seed(7)
    c = _epoch(datasets.DataLoader(X, y, batch_size=8, shuffle=True))
    tl.manual_seed(7)
    assert _epoch(datasets.DataLoader(X, y, batch_size=8, shuffle=True)) == c  # seed=None follows manual_seed


def test_loader_resume_from_state_dict():
    X, y = _data(30)
    ref = datasets.DataLoader(X, y, batch_size=4, shuffle=True, seed=11)
    orders = [_epoch(ref) for _ in range(3)]
    run = datasets.DataLoader(X, y, batch_size=4, shuffle=True, seed=11)
    _epoch(run)
    saved = dict(run.state_dict())
    assert saved == {"seed": 11, "epoch": 1, "batch": 0}
    resumed = datasets.DataLoader(X, y, batch_size=4, shuffle=True, seed=999)  # the state carries the seed
    resumed.load_state_dict(saved)
    assert _epoch(resumed) == orders[1] and _epoch(resumed) == orders[2]
    # mid-epoch: a checkpoint taken while batch 2 of epoch 1 is in use resumes at batch 3
    run2 = datasets.DataLoader(X, y, batch_size=4, shuffle=True, seed=11)
    _epoch(run2)
    for i, (_, yb) in enumerate(run2):
        if i == 2:
            mid = run2.state_dict()
            break
    again = datasets.DataLoader(X, y, batch_size=4, shuffle=True, seed=0)
    again.load_state_dict(mid)
    assert _epoch(again) == orders[1][3:] and _epoch(again) == orders[2]
    # an abandoned pass (e.g. peeking at one batch) counts as an epoch and is not continued
    peek = datasets.DataLoader(X, y, batch_size=4, shuffle=True, seed=11)
    next(iter(peek))
    assert _epoch(peek) == orders[1]


def test_loader_length_mismatch():
    with pytest.raises(ValueError, match=r"len\(X\) = 10, len\(y\) = 9"):
        datasets.DataLoader(np.zeros((10, 2)), np.zeros(9))


def test_train_val_split():
    X, y = _data(100)
    (Xtr, ytr), (Xva, yva) = datasets.train_val_split(X, y, val_size=0.2, seed=1)
    assert len(ytr) == 80 and len(yva) == 20 and not set(ytr) & set(yva) and set(ytr) | set(yva) == set(range(100))
    assert np.array_equal(Xva, X[yva]) and np.array_equal(Xtr, X[ytr])  # rows stay with their labels
    (_, ytr2), (_, yva2) = datasets.train_val_split(X, y, val_size=20, seed=1)
    assert np.array_equal(yva, yva2) and np.array_equal(ytr, ytr2)
    assert not np.array_equal(datasets.train_val_split(X, y, val_size=20, seed=2)[1][1], yva)
    for bad in (0, 100, 1.0, 0.0):
        with pytest.raises(ValueError):
            datasets.train_val_split(X, y, val_size=bad)
    with pytest.raises(ValueError, match="len"):
        datasets.train_val_split(X, y[:-1])


def test_loader_keeps_float_targets():
    X = np.zeros((4, 2), np.float32)
    for y, dtype in ((np.array([0.25, 1.5, -2.0, 3.75], np.float32), np.float32),
                     (np.array([0.25, 1.5, -2.0, 3.75]), np.float64), (np.array([1, 0, 2, 1], np.int32), np.int64),
                     (np.array([True, False, True, True]), np.int64)):
        (_, yb), = list(datasets.DataLoader(X, y, batch_size=4))
        assert yb.dtype == dtype and yb.numpy().tolist() == y.astype(dtype).tolist()


# ---- issue 10: damaged trees and caches are repaired or named; failed loads leave no empty folders --------------
@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_cifar_tree_with_damaged_batch_is_reextracted(cifar10_tar, net, tmp_path, damage):
    tar, batches = cifar10_tar
    net.files[cifar._SETS["cifar10"]["url"]] = tar
    root = tmp_path / "data"
    X, y = datasets.load_cifar10(root=root)
    bad = root / "cifar10" / "cifar-10-batches-py" / "data_batch_3"
    if damage == "missing":
        bad.unlink()
    else:
        bad.write_bytes(bad.read_bytes()[:500])
    X2, y2 = datasets.load_cifar10(root=root)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert net.calls == [cifar._SETS["cifar10"]["url"]]  # repaired from the cached, verified archive
    assert sorted(p.name for p in (root / "cifar10").iterdir()) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]


def test_cifar_truncated_batch_without_archive_names_the_archive(cifar10_tar, net, tmp_path):
    tar, _ = cifar10_tar
    net.files[cifar._SETS["cifar10"]["url"]] = tar
    root = tmp_path / "data"
    datasets.load_cifar10(root=root, split="test")
    (root / "cifar10" / "cifar-10-python.tar.gz").unlink()
    bad = root / "cifar10" / "cifar-10-batches-py" / "test_batch"
    bad.write_bytes(bad.read_bytes()[:100])
    with pytest.raises(datasets.DatasetNotFoundError, match="cifar-10-python.tar.gz"):
        datasets.load_cifar10(root=root, split="test", download=False)


def test_imdb_truncated_cache_is_rebuilt(imdb_tar, net, tmp_path):
    net.files[imdb.URL] = imdb_tar
    first = datasets.load_imdb(root=tmp_path, vocab_size=4, max_len=8)
    cache, = (tmp_path / "imdb").glob("*.npz")
    cache.write_bytes(cache.read_bytes()[:200])
    again = datasets.load_imdb(root=tmp_path, vocab_size=4, max_len=8)
    assert np.array_equal(first[0], again[0]) and first[2] == again[2]
    with np.load(cache, allow_pickle=False) as z:  # and written again, whole
        assert set(z.files) == {"X_train", "y_train", "X_test", "y_test", "words"}


def test_imdb_tree_missing_a_class_is_reextracted(imdb_tar, net, tmp_path):
    net.files[imdb.URL] = imdb_tar
    first = datasets.load_imdb(root=tmp_path, vocab_size=4, max_len=8)
    for f in (tmp_path / "imdb").glob("*.npz"):
        f.unlink()
    shutil.rmtree(tmp_path / "imdb" / "aclImdb" / "train" / "neg")
    X, y, _ = datasets.load_imdb(root=tmp_path, vocab_size=4, max_len=8)
    assert y.tolist() == [0, 0, 1, 1] and np.array_equal(X, first[0])
    assert net.calls == [imdb.URL]
    with pytest.raises(datasets.DatasetError, match=r"train/neg: no reviews"):
        imdb.read_split(tmp_path / "empty", "train")


def test_failed_loads_leave_no_empty_folders(net, tmp_path):
    root = tmp_path / "data"
    for load in (datasets.load_mnist, datasets.load_fashion_mnist, datasets.load_cifar10, datasets.load_cifar100,
                 datasets.load_imdb):
        with pytest.raises(datasets.DatasetNotFoundError):
            load(root=root)
        assert not root.exists(), load.__name__
    root.mkdir()
    with pytest.raises(datasets.DatasetNotFoundError):
        datasets.load_mnist(root=root)
    assert root.is_dir() and list(root.iterdir()) == []  # the user's own folder stays

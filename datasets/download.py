"""Data root, checksum-verified atomic downloads, and safe tar extraction shared by every dataset loader."""
import gzip
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.request
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 20
_USER_AGENT = "tinygrad_lr-datasets/0.1 (python urllib)"  # some hosts refuse urllib's default agent


class DatasetError(RuntimeError):
    """Base class for data that cannot be obtained or does not verify."""


class DatasetNotFoundError(DatasetError):
    """Files are missing and could not be downloaded. `missing` holds (path, urls) pairs; `reasons` the errors
    met on the way (one line each in the message)."""

    def __init__(self, missing, reasons=()):
        self.missing, self.reasons = [(Path(p), list(u)) for p, u in missing], list(reasons)
        folders = sorted({str(p.parent) for p, _ in self.missing})
        lines = [f"dataset files not found and could not be downloaded: "
                 f"{', '.join(p.name for p, _ in self.missing)}",
                 f"put them in: {', '.join(folders)} (or pass root= / set $TINYGRAD_LR_DATA to a data folder "
                 f"that has them)", "download them from:"]
        lines += [f"  {p.name}: {' or '.join(u) if u else '(no URL known)'}" for p, u in self.missing]
        lines += [f"  ({r})" for r in reasons]
        super().__init__("\n".join(lines))


class ChecksumError(DatasetError):
    """A cached file has the wrong checksum and no mirror gave a good copy: the file at path, the checksum
    algorithm algo ("sha256" or "md5"), the expected and actual digests, and the reasons the mirrors failed."""

    def __init__(self, path, algo, expected, actual, reasons=()):
        self.path, self.expected, self.actual = Path(path), expected, actual
        msg = (f"{path} is corrupt: {algo} expected {expected}, got {actual}; delete it and download it again"
               + "".join(f"\n  ({r})" for r in reasons))
        super().__init__(msg)


def shared_data():
    """`../shared/data` beside a source checkout (the folder `make demo` and the tests use on machines without
    internet), or None when tinygrad_lr does not run from a checkout or the folder is absent."""
    from tinygrad_lr import _checkout
    if not os.path.isfile(os.path.join(_checkout.ROOT, "setup.cfg")):
        return None
    d = Path(_checkout.ROOT).parent / "shared" / "data"
    return d if d.is_dir() else None


def data_root(root=None, folder=None):
    """The data folder, the same rule for every loader and command: `root` if given, else $TINYGRAD_LR_DATA, else
    ../shared/data beside a source checkout when it holds `folder` (a data set's sub-folder such as "mnist"),
    else ~/.cache/tinygrad_lr (where a missing set is downloaded)."""
    if root is None:
        root = os.environ.get("TINYGRAD_LR_DATA")
    if root is None and folder is not None:
        shared = shared_data()
        root = shared if shared is not None and (shared / folder).is_dir() else None
    if root is None:
        root = Path.home() / ".cache" / "tinygrad_lr"
    return Path(root).expanduser()


def _urlopen(url, timeout=60):
    """The only place that touches the network; tests monkeypatch it to simulate mirrors."""
    return urllib.request.urlopen(urllib.request.Request(url, headers={"User-Agent": _USER_AGENT}),
                                  timeout=timeout)


def file_digests(path, gunzip=False):
    """{'sha256': hex, 'md5': hex} of a file, or of its gunzipped content (None if it is not valid gzip)."""
    hashes = {"sha256": hashlib.sha256(), "md5": hashlib.md5()}
    opener = gzip.open if gunzip else open
    try:
        with opener(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                for h in hashes.values():
                    h.update(chunk)
    except (EOFError, OSError, gzip.BadGzipFile):  # truncated/garbled gzip counts as corrupt
        return None
    return {k: h.hexdigest() for k, h in hashes.items()}


def _mismatch(path, sha256, md5, gunzip):
    """None when the file verifies, else (algo, expected, actual)."""
    got = file_digests(path, gunzip)
    for algo, want in (("sha256", sha256), ("md5", md5)):
        if want is not None:
            actual = got[algo] if got else "unreadable (truncated or not gzip)"
            if actual != want.lower():
                return algo, want.lower(), actual
    return None


def _progress(total, desc):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, desc=desc, disable=None, leave=False)


def _download(url, tmp, opener, desc):
    with opener(url) as r, open(tmp, "wb") as f:
        size = r.headers.get("Content-Length") if getattr(r, "headers", None) else None
        bar, n = _progress(int(size) if size else None, desc), 0
        try:
            while chunk := r.read(_CHUNK):
                f.write(chunk)
                n += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
    if size and n != int(size):  # a connection that closes early is not always an exception
        raise OSError(f"incomplete download: got {n} of {size} bytes")


def fetch(urls, dest, sha256=None, md5=None, gunzip=False, download=True, opener=None):
    """Return `dest`, downloading it from the first mirror in `urls` that gives a file with the right checksum.

    A cached `dest` that verifies is used as is (nothing is written, so a read-only folder works); one that
    does not is fetched again. Downloads go to a temporary file in the same folder that replaces `dest` only
    once it verifies, so `dest` never holds a partial file. `gunzip=True` checks the digests of the gunzipped
    content (MNIST mirrors re-gzip the canonical files).

    Args:
        urls: a URL or a list of mirror URLs, tried in order.
        dest: the file's path (a str or Path).
        sha256, md5: the expected hex digests (either, or both; None: not checked).
        gunzip: check the digests of the gunzipped content.
        download: try the mirrors when dest is missing or bad (False: raise instead).
        opener: a function url -> a readable response (default: urllib's urlopen; tests pass a fake).
    """
    urls, dest = [urls] if isinstance(urls, str) else list(urls), Path(dest)
    opener = opener or _urlopen
    bad = None
    if dest.exists():
        bad = _mismatch(dest, sha256, md5, gunzip)
        if bad is None:
            return dest
    reasons, made = [], []
    for url in urls if download else []:
        tmp = None
        try:
            made = made or make_dirs(dest.parent)
            fd, tmp = tempfile.mkstemp(prefix=dest.name + ".", suffix=".part", dir=dest.parent)
            os.close(fd)
            _download(url, tmp, opener, dest.name)
            wrong = _mismatch(tmp, sha256, md5, gunzip)
            if wrong is not None:
                raise OSError(f"{wrong[0]} mismatch: expected {wrong[1]}, got {wrong[2]}")
            os.replace(tmp, dest)
            return dest
        except Exception as e:  # any mirror failure (network, HTTP, disk, checksum): try the next one
            reasons.append(f"{url}: {type(e).__name__}: {e}")
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.remove(tmp)
    remove_empty(made)  # a failed fetch leaves no empty folders behind
    if not download:
        reasons.append("download=False")
    if bad is not None:
        raise ChecksumError(dest, *bad, reasons=reasons)
    raise DatasetNotFoundError([(dest, urls)], reasons)


def make_dirs(folder):
    """mkdir -p `folder`; returns the folders it created, outermost first (for remove_empty)."""
    folder, new = Path(folder), []
    p = folder
    while not p.exists():
        new.append(p)
        p = p.parent
    folder.mkdir(parents=True, exist_ok=True)
    return new[::-1]


def remove_empty(folders):
    """Remove those of `folders` (as make_dirs returned them) that are empty, innermost first."""
    for d in reversed(list(folders)):
        try:
            d.rmdir()
        except OSError:  # not empty (or gone): keep
            pass


def fetch_all(specs, download=True, opener=None):
    """fetch() each dict in `specs` (keys: urls, dest, sha256, md5, gunzip), with download and opener as fetch's;
    one error names every missing file. Returns the paths."""
    missing, reasons, out = [], [], []
    for spec in specs:
        try:
            out.append(fetch(download=download, opener=opener, **spec))
        except DatasetNotFoundError as e:
            missing += e.missing
            reasons += e.reasons
    if missing:
        raise DatasetNotFoundError(missing, reasons)
    return out


def _safe_name(name):
    """Member path inside the archive, or an error if it is absolute or climbs out with '..'."""
    p = PurePosixPath(name)
    if not p.parts or p.is_absolute() or ".." in p.parts or "\\" in name:
        raise DatasetError(f"refusing to extract unsafe path {name!r}")
    return p


def extract_tar(archive, folder, top, keep=None, replace=False):
    """Extract `top`/ (the archive's top-level folder) from a tar(.gz) into `folder`/`top`, atomically.

    Only regular files and folders are written (links and devices are skipped) and every path is checked, so
    a hostile archive cannot write outside `folder`. `keep(path) -> bool` filters members. The tree is built
    in a temporary folder and renamed into place, so a finished `folder`/`top` is always complete.
    replace=True extracts again over an existing `folder`/`top` (one found incomplete or damaged): the new tree
    takes its place only once it is complete.
    """
    folder, final = Path(folder), Path(folder) / top
    if final.is_dir() and not replace:
        return final
    tmp = Path(tempfile.mkdtemp(prefix=f".{top}.", dir=folder))
    try:
        with tarfile.open(archive, "r:*") as tf:
            for m in tf:
                p = _safe_name(m.name)
                if not (m.isfile() or m.isdir()) or p.parts[0] != top or (keep and not keep(str(p))):
                    continue
                out = tmp.joinpath(*p.parts)
                if m.isdir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with tf.extractfile(m) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
        if not (tmp / top).is_dir():
            raise DatasetError(f"{archive} has no folder {top!r}")
        if final.exists():  # replace=True: move the old tree aside (it is removed with tmp)
            os.replace(final, tmp / ".old")
        os.replace(tmp / top, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final

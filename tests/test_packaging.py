"""Packaging: the distribution installs one top-level name, tinygrad_lr. setup.cfg maps the repository's models/,
datasets/ and examples/ to tinygrad_lr.models, tinygrad_lr.datasets and tinygrad_lr.examples and lists every
package; a wheel built from the source tree holds only tinygrad_lr/ and its .dist-info, and the build emits no
setuptools deprecation warning. The core library imports nothing from the models, datasets or examples."""
import configparser
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "tinygrad_lr"


def _setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    options = cfg["options"]
    package_dir = dict(line.split("=", 1) for line in options["package_dir"].split("\n") if line.strip())
    package_dir = {k.strip(): v.strip() for k, v in package_dir.items()}
    packages = [p.strip() for p in options["packages"].split("\n") if p.strip()]
    return package_dir, packages


def _packages_on_disk(package_dir):
    """Every folder with an __init__.py under a mapped folder, as the dotted name it is installed under."""
    found = set()
    for name, folder in package_dir.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *rel)))
    return found


def test_setup_cfg_maps_the_folders_and_lists_every_package():
    package_dir, packages = _setup_cfg()
    assert package_dir == {"tinygrad_lr": "tinygrad_lr", "tinygrad_lr.models": "models",
                           "tinygrad_lr.datasets": "datasets", "tinygrad_lr.examples": "examples"}
    assert all(p == "tinygrad_lr" or p.startswith("tinygrad_lr.") for p in packages)
    assert set(packages) == _packages_on_disk(package_dir)  # a new subpackage must be added to setup.cfg


def test_core_imports_no_models_datasets_or_examples():
    """Only the command-line dispatcher (cli.py) imports the studies, inside each subcommand's function."""
    studies = r"(models|datasets|examples)\b"
    imports = re.compile(rf"^\s*(import|from)\s+((tinygrad_lr)?\.*){studies}"
                         rf"|^\s*from\s+(tinygrad_lr|\.)\s+import\s+[^#\n]*\b{studies}", re.M)
    for path in CORE.rglob("*.py"):
        if path.relative_to(CORE) == Path("cli.py"):
            continue
        assert not imports.search(path.read_text(encoding="utf-8")), path
    assert not (CORE / "experiments").exists()


def test_wheel_has_one_top_level_name(tmp_path):
    """pip wheel from a copy of the source tree (a stale build/ folder in the checkout would leak into it)."""
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "runs", "__pycache__", ".pytest_cache", ".hypothesis"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(tmp_path / "dist"),
                        str(src)], capture_output=True, text=True)
    out = r.stdout + r.stderr
    if r.returncode and re.search(r"No matching distribution found for setuptools|Could not find a version that "
                                  r"satisfies the requirement setuptools", out):
        pytest.skip("pip cannot fetch the build requirements (offline?)")
    assert r.returncode == 0, out[-3000:]
    assert "SetuptoolsDeprecationWarning" not in out, out[-3000:]
    wheel, = (tmp_path / "dist").glob("tinygrad_lr-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"tinygrad_lr", wheel.name.split("-py")[0] + ".dist-info"}, top
    _, packages = _setup_cfg()
    for p in packages:  # every package, with its modules
        assert p.replace(".", "/") + "/__init__.py" in names, p
    for must in ("tinygrad_lr/models/mlp.py", "tinygrad_lr/datasets/mnist.py", "tinygrad_lr/examples/demo.py",
                 "tinygrad_lr/examples/beale/compute.py"):
        assert must in names, must
    metadata = zipfile.ZipFile(wheel).read(wheel.name.split("-py")[0] + ".dist-info/METADATA").decode()
    assert "License-Expression: MIT" in metadata and "License :: " not in metadata


def test_checkout_uses_its_own_models_datasets_examples():
    """Run from a checkout, tinygrad_lr.models/datasets/examples are that checkout's folders, even when an editable
    install of another checkout (a colleague's worktree) is on the path."""
    code = ("import tinygrad_lr as tl; from tinygrad_lr import models, datasets, examples; "
            "print(tl.__file__); print(models.__file__); print(datasets.__file__); print(examples.__file__)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for line in r.stdout.split():
        assert Path(line).resolve().is_relative_to(ROOT), line

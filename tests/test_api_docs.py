"""The API reference (issue 13): every public name of the API contract (SPEC.md section 1, and each module's
__all__) has a docstring that names each of its arguments, and the pdoc build (`make docs`, docs/build_api.py)
runs without a warning and writes a page for each main module."""
import importlib
import importlib.util
import inspect
import pathlib
import re
import subprocess
import sys
import types

import pytest

import tinygrad_lr as tl

ROOT = pathlib.Path(__file__).resolve().parents[1]

# The contract of SPEC.md section 1, name by name: code outside the repository imports exactly these.
SPEC_NAMES = {
    "tinygrad_lr": "Tensor grad hvp no_grad enable_grad",
    "tinygrad_lr.functional": """relu sigmoid tanh softmax log_softmax logsumexp conv2d max_pool2d avg_pool2d linear
        dropout cross_entropy nll_loss mse_loss binary_cross_entropy binary_cross_entropy_with_logits embedding""",
    "tinygrad_lr.nn": """Module Linear Conv2d MaxPool2d AvgPool2d BatchNorm1d BatchNorm2d Dropout ReLU Tanh Sigmoid
        Flatten Sequential Embedding LSTM""",
    "tinygrad_lr.optim": "SGD Adam AdamW Adagrad RMSprop Adadelta",
    "tinygrad_lr.gradcheck": "gradcheck gradgradcheck",
}
SPEC_TENSOR = """backward detach numpy item to cpu cuda exp log sqrt abs tanh sigmoid relu clip maximum minimum sum
    mean var max min argmax reshape view transpose permute T flatten squeeze unsqueeze expand pad cat stack where
    zeros ones full randn rand arange eye zeros_like ones_like full_like randn_like rand_like
    data grad requires_grad shape ndim dtype device is_leaf"""
SPEC_NAMESPACES = ["tinygrad_lr.hyper", "tinygrad_lr.models", "tinygrad_lr.datasets", "tinygrad_lr.nn.init",
                   "tinygrad_lr.optim.lr_scheduler"]

# The modules whose public names are the API: those of __all__ where a module has one, else the functions and
# classes it defines whose names do not start with "_".
API_MODULES = ["tinygrad_lr", "tinygrad_lr.functional", "tinygrad_lr.gradcheck", "tinygrad_lr.nn",
               "tinygrad_lr.nn.init", "tinygrad_lr.optim", "tinygrad_lr.optim.lr_scheduler", "tinygrad_lr.hyper",
               "tinygrad_lr.models", "tinygrad_lr.datasets", "tinygrad_lr.train", "tinygrad_lr.checkpoint",
               "tinygrad_lr.backend", "tinygrad_lr.viz"]
# base classes whose public methods are what users call or override: each needs a docstring naming its arguments
API_CLASSES = ["tinygrad_lr.nn.Module", "tinygrad_lr.optim.Optimizer", "tinygrad_lr.hyper.LRMethod",
               "tinygrad_lr.optim.lr_scheduler.LRScheduler", "tinygrad_lr.datasets.DataLoader"]


def public_names(modname):
    mod = importlib.import_module(modname)
    if hasattr(mod, "__all__"):
        return list(mod.__all__)
    return [n for n, v in vars(mod).items() if not n.startswith("_") and (inspect.isfunction(v) or inspect.isclass(v))
            and v.__module__ == modname]


def documented(obj):
    """Is obj something of ours that should carry a docstring (a function or class of tinygrad_lr)?"""
    return (inspect.isfunction(obj) or inspect.isclass(obj)) and ours(obj)


def _init_of(cls):
    """The __init__ a class's instances are made with (its own or inherited)."""
    return next((c.__dict__["__init__"] for c in cls.__mro__ if "__init__" in c.__dict__), object.__init__)


def ours(fn):
    return (getattr(fn, "__module__", None) or "").split(".")[0] == "tinygrad_lr"


def doc_text(obj):
    """A function's docstring; a class's docstring together with its __init__'s (pdoc shows both)."""
    text = obj.__doc__ or ""
    if inspect.isclass(obj) and ours(_init_of(obj)):
        text += "\n" + (_init_of(obj).__doc__ or "")
    return text


def arguments(obj, skip_first=False):
    """The arguments a docstring must name: all but self/cls, *args/**kwargs and private (_name) ones; a class's
    are those of its __init__ when that is tinygrad_lr's (not one inherited from, say, pickle.Unpickler)."""
    if inspect.isclass(obj) and not ours(_init_of(obj)):
        return []
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    ps = list(sig.parameters.values())
    if skip_first and ps:
        ps = ps[1:]
    return [p.name for p in ps if p.name not in ("self", "cls") and not p.name.startswith("_")
            and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def unnamed(obj, text, skip_first=False):
    return [a for a in arguments(obj, skip_first) if not re.search(rf"(?<![\w]){re.escape(a)}(?![\w])", text)]


def problems_of(label, obj, skip_first=False):
    text = doc_text(obj)
    if not text.strip():
        return [f"{label}: no docstring"]
    missing = unnamed(obj, text, skip_first)
    return [f"{label}: docstring does not name {missing}"] if missing else []


def api_objects():
    """(label, object) for every public function and class of the API modules."""
    seen = {}
    for modname in API_MODULES:
        mod = importlib.import_module(modname)
        for name in public_names(modname):
            obj = getattr(mod, name)
            if documented(obj):
                seen.setdefault(f"{modname}.{name}", obj)
    return seen


def test_spec_names_exist():
    """Every name SPEC.md section 1 lists is importable where it says (and so is checked below)."""
    for modname, names in SPEC_NAMES.items():
        mod = importlib.import_module(modname)
        assert not [n for n in names.split() if not hasattr(mod, n)], modname
    for modname in SPEC_NAMESPACES:
        importlib.import_module(modname)
    assert not [n for n in SPEC_TENSOR.split() if not hasattr(tl.Tensor, n) and n not in tl.Tensor.__slots__]


def test_spec_names_are_in_the_checked_set():
    objs = api_objects()
    for modname, names in SPEC_NAMES.items():
        for n in names.split():
            assert f"{modname}.{n}" in objs, f"{modname}.{n} is not among the checked API names"


def test_public_functions_and_classes_have_docstrings_naming_their_arguments():
    problems = []
    for label, obj in api_objects().items():
        problems += problems_of(label, obj)
    assert not problems, "\n".join(problems)


def test_base_class_methods_have_docstrings_naming_their_arguments():
    problems = []
    for path in API_CLASSES:
        modname, _, cname = path.rpartition(".")
        cls = getattr(importlib.import_module(modname), cname)
        for name, v in vars(cls).items():
            if name.startswith("_") or isinstance(v, property):
                continue
            fn = v.__func__ if isinstance(v, (staticmethod, classmethod)) else v
            if inspect.isfunction(fn):
                problems += problems_of(f"{path}.{name}", fn)
    assert not problems, "\n".join(problems)


def tensor_members():
    for name in sorted(dir(tl.Tensor)):
        if name.startswith("_"):
            continue
        yield name, inspect.getattr_static(tl.Tensor, name)


def test_tensor_methods_and_properties_have_docstrings():
    """Every public method of Tensor names its arguments (but the first, the tensor itself); every property and
    attribute (.data, .grad, .shape, ...) says what it holds."""
    problems = []
    for name, v in tensor_members():
        if isinstance(v, (property, types.MemberDescriptorType)):  # properties, and the slots .data, .grad, ...
            if not (inspect.getdoc(v) or "").strip():  # a slot's docstring is its value in the __slots__ dict
                problems.append(f"Tensor.{name}: no docstring")
            continue
        static = isinstance(v, (staticmethod, classmethod))
        fn = v.__func__ if static else v
        if inspect.isfunction(fn):
            problems += problems_of(f"Tensor.{name}", fn, skip_first=not static)
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_missing_docstring_and_an_unnamed_argument():
    def f(x, y, *args, _private=None, **kwargs):
        """Uses x."""

    def g(x):
        pass

    class C:
        """A thing."""

        def __init__(self, size):
            """size: how big."""

    assert problems_of("f", f) == ["f: docstring does not name ['y']"]
    assert problems_of("g", g) == ["g: no docstring"]
    assert problems_of("C", C) == [] and problems_of("t", f, skip_first=True) == ["t: docstring does not name ['y']"]


MAIN_PAGES = ["tinygrad_lr", "tinygrad_lr/tensor", "tinygrad_lr/autograd", "tinygrad_lr/functional",
              "tinygrad_lr/gradcheck", "tinygrad_lr/backend", "tinygrad_lr/nn", "tinygrad_lr/nn/init",
              "tinygrad_lr/optim", "tinygrad_lr/optim/lr_scheduler", "tinygrad_lr/hyper", "tinygrad_lr/ops",
              "tinygrad_lr/ops/elementwise", "tinygrad_lr/train", "tinygrad_lr/checkpoint", "tinygrad_lr/models",
              "tinygrad_lr/datasets", "tinygrad_lr/examples", "tinygrad_lr/examples/beale"]


def test_pdoc_builds_the_reference(tmp_path):
    """docs/build_api.py (what `make docs` runs) in a fresh interpreter: exit status 0 (no pdoc warning: every
    module imports, every source parses), a page per main module, the package page linking all subpackages; the
    build prints its one line only (importing every module, examples included, printed nothing)."""
    pytest.importorskip("pdoc", reason="pdoc (the dev extra) is not installed: pip install -e '.[dev]'")
    out = tmp_path / "api"
    r = subprocess.run([sys.executable, str(ROOT / "docs" / "build_api.py"), str(out)], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(r.stdout.splitlines()) == 1 and r.stdout.startswith("API reference:"), r.stdout
    assert not [p for p in MAIN_PAGES if not (out / f"{p}.html").is_file()]
    assert not list(out.rglob("__main__.html")) and not list(out.rglob("_checkout.html"))
    top = (out / "tinygrad_lr.html").read_text(encoding="utf-8")
    assert all(f'href="tinygrad_lr/{s}.html"' in top for s in ("ops", "autograd", "train", "models", "examples"))
    sgd = (out / "tinygrad_lr" / "optim.html").read_text(encoding="utf-8")
    assert "Robbins" in sgd and "momentum" in sgd  # a docstring made it into the page
    assert (out / "index.html").is_file() and (out / "search.js").is_file()


def test_the_build_covers_every_module():
    """build_api.module_names(): every module of the package and of models/, datasets/, examples/ but the
    __main__ and private ones."""
    spec = importlib.util.spec_from_file_location("build_api", ROOT / "docs" / "build_api.py")
    build_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_api)
    names = build_api.module_names()
    assert {"tinygrad_lr.ops.conv", "tinygrad_lr.models.resnet", "tinygrad_lr.datasets.mnist",
            "tinygrad_lr.examples.common.runner", "tinygrad_lr.examples.demo"} <= set(names)
    assert not [n for n in names if n.endswith("__main__") or "._" in n]
    assert all(isinstance(importlib.import_module(n), types.ModuleType) for n in names)

"""Build the HTML API reference from the docstrings with pdoc: `make docs`, or `python docs/build_api.py [OUT]`.

Documents this checkout's tinygrad_lr, every subpackage and submodule (tinygrad_lr.ops, .autograd, .train, ...,
also those a package's __all__ leaves out), and the folders installed inside it: models/ as tinygrad_lr.models,
datasets/ as tinygrad_lr.datasets, examples/ as tinygrad_lr.examples (importing any of them runs nothing). The
`__main__` modules (the command-line entry points) and private modules (`_name`) are left out. Output: OUT
(default docs/api/, not committed), one page per module; open OUT/index.html.

Any warning pdoc raises (a module that fails to import, source it cannot parse, a broken link) fails the build, so
that tests/test_api_docs.py, which runs this script, fails CI on it.
"""
import argparse
import pkgutil
import shutil
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "tinygrad_lr"
FOLDERS = ("models", "datasets", "examples")  # installed as tinygrad_lr.<folder> (setup.cfg: package_dir)


def module_names():
    """Every module to document, parents before children: the package, its subpackages and submodules, and the
    three folders mapped into it, without `__main__` and private (`_name`) modules."""
    import importlib
    names = []
    for top in [PACKAGE] + [f"{PACKAGE}.{f}" for f in FOLDERS]:
        pkg = importlib.import_module(top)
        names.append(top)
        names += [m.name for m in pkgutil.walk_packages(pkg.__path__, top + ".")]
    keep = [n for n in names if not any(part.startswith("_") for part in n.split(".")[1:])]
    return list(dict.fromkeys(keep))


def build(output, names=None):
    """Render one HTML page per module of `names` (default: module_names()) into the folder `output` (emptied
    first), plus index.html and the search index. Returns the list of warnings pdoc raised."""
    import pdoc
    import pdoc.doc
    import pdoc.render

    output = Path(output)
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)
    pdoc.render.configure(docformat="google", search=True, show_source=True,
                          footer_text="tinygrad_lr API reference (make docs)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = module_names() if names is None else names
        modules = {n: pdoc.doc.Module.from_name(n) for n in names}
        # A package's page lists all of its documented submodules, also those its __all__ does not name (pdoc
        # follows __all__ there): tinygrad_lr's __all__ names the user-facing namespaces, not ops, autograd, ...
        for name, mod in modules.items():
            mod.__dict__["submodules"] = [m for n, m in modules.items() if n.rpartition(".")[0] == name]
        for mod in modules.values():
            page = output / (mod.fullname.replace(".", "/") + ".html")
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(pdoc.render.html_module(mod, modules), encoding="utf-8")
        (output / "index.html").write_text(pdoc.render.html_index(modules), encoding="utf-8")
        (output / "search.js").write_text(pdoc.render.search_index(modules), encoding="utf-8")
    # the warnings pdoc itself raised (not, say, a dependency's deprecation notice while importing)
    return [w for w in caught if "pdoc" in Path(w.filename).parts or issubclass(w.category, UserWarning)]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", nargs="?", default=str(ROOT / "docs" / "api"), help="output folder (emptied first)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # this checkout's tinygrad_lr (its _checkout finder maps models/ etc.)
    caught = build(args.output)
    for w in caught:
        print(f"pdoc warning: {w.category.__name__}: {w.message}", file=sys.stderr)
    if caught:
        print(f"{len(caught)} warning(s): the API reference is incomplete", file=sys.stderr)
        return 1
    print(f"API reference: {len(module_names())} modules -> {Path(args.output) / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

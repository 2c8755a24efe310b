"""Imports from a source checkout. The repository keeps the model zoo, the data sets and the studies beside this
package (models/, datasets/, examples/); setup.cfg installs them inside it as tinygrad_lr.models,
tinygrad_lr.datasets and tinygrad_lr.examples, and an editable install maps those names the same way. When
tinygrad_lr is imported straight from a checkout instead (Python started in the repository root, whose
tinygrad_lr/ then shadows any installed copy), this finder maps them. It is registered only in a checkout (a
setup.cfg and the three folders beside this package), so an installed tinygrad_lr never uses it; there it goes
right after the standard path finder, ahead of an editable install's finder, which would otherwise hand out the
folders of the checkout it was installed from (another worktree) beside this checkout's tinygrad_lr."""
import importlib.machinery
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDERS = ("models", "datasets", "examples")


class CheckoutFinder:
    """Finds tinygrad_lr.models, .datasets and .examples in the checkout's folders; their submodules are found
    through the package's __path__ as usual."""

    @staticmethod
    def find_spec(fullname, path=None, target=None):
        parent, _, name = fullname.rpartition(".")
        if parent != "tinygrad_lr" or name not in FOLDERS:
            return None
        return importlib.machinery.PathFinder.find_spec(fullname, [ROOT])


def register():
    in_checkout = os.path.isfile(os.path.join(ROOT, "setup.cfg")) and all(
        os.path.isfile(os.path.join(ROOT, f, "__init__.py")) for f in FOLDERS)
    if in_checkout and CheckoutFinder not in sys.meta_path:
        at = sys.meta_path.index(importlib.machinery.PathFinder) + 1 \
            if importlib.machinery.PathFinder in sys.meta_path else len(sys.meta_path)
        sys.meta_path.insert(at, CheckoutFinder)

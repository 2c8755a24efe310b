"""The notebooks of examples/notebooks run top to bottom without an error (each executed by nbclient in a fresh
kernel, on a temporary copy, with this checkout's tinygrad_lr and the data root the tests use), and the committed
copies keep their outputs (figures included) without volatile metadata."""
import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from conftest import shared_data_root

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "examples" / "notebooks"
NOTEBOOKS = sorted(p.name for p in NB_DIR.glob("*.ipynb"))


def _execute_module():
    spec = importlib.util.spec_from_file_location("notebooks_execute", NB_DIR / "execute.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_four_notebooks_are_there():
    assert NOTEBOOKS == ["01_engine_from_the_inside.ipynb", "02_double_backprop.ipynb",
                         "03_optimizers_as_update_maps.ipynb", "04_tangent_recursion.ipynb"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebook_has_outputs_and_no_volatile_metadata(name):
    nb = json.loads((NB_DIR / name).read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    md = [c for c in nb["cells"] if c["cell_type"] == "markdown"]
    assert len(md) >= 4 and len(code) >= 4
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))  # run top to bottom, once
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no matplotlib figure kept"
    assert all("execution" not in c["metadata"] for c in nb["cells"])
    assert "version" not in nb["metadata"].get("language_info", {})


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, tmp_path, monkeypatch):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    execute = _execute_module()
    root = shared_data_root()
    if root is not None:
        monkeypatch.setenv("TINYGRAD_LR_DATA", str(root))
    copy = tmp_path / name
    shutil.copy(NB_DIR / name, copy)
    out = tmp_path / ("executed_" + name)
    seconds = execute.execute(copy, out, timeout=600, cwd=tmp_path)  # CellExecutionError on a failing cell
    nb = json.loads(out.read_text(encoding="utf-8"))
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    assert all(c["execution_count"] is not None for c in nb["cells"] if c["cell_type"] == "code")
    print(f"{name}: {seconds:.1f} s")

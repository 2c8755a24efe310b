"""Run the notebooks of this folder and keep their outputs: `python examples/notebooks/execute.py [NAME ...]`.

Each notebook is executed top to bottom in a fresh kernel (nbclient), with this checkout's tinygrad_lr first on the
path (so its data root rule applies: $TINYGRAD_LR_DATA, else ../shared/data beside the checkout when it holds the
data set, else the download cache). The outputs (figures as embedded PNG / SVG) are written back into the notebook, with
the volatile metadata (execution timings, kernel versions) stripped so that re-running changes as little as
possible. tests/test_notebooks.py runs the same `execute` on a temporary copy of each notebook.

Needs the `dev` extra (nbclient, nbformat, ipykernel).
"""
import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def strip(nb):
    """Drop what changes from run to run without changing what the notebook shows: execution timings in cell
    metadata, the kernel's version details, and how the kernel happened to split a cell's printed text into
    stream messages (consecutive ones are joined). Execution counts are renumbered 1, 2, ... over the code cells."""
    nb.metadata.pop("widgets", None)
    lang = nb.metadata.get("language_info", {})
    for k in ("version", "pygments_lexer", "codemirror_mode"):
        lang.pop(k, None)
    n = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        if cell.cell_type == "code":
            n += 1
            cell.execution_count = n
            joined = []
            for out in cell.get("outputs", []):
                if (out.output_type == "stream" and joined and joined[-1].output_type == "stream"
                        and joined[-1].name == out.name):
                    joined[-1].text += out.text
                else:
                    joined.append(out)
            cell.outputs = joined
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = n
                out.get("metadata", {}).pop("needs_background", None)
    return nb


def execute(path, out=None, timeout=600, cwd=None):
    """Execute notebook `path` (cwd: its folder unless given) and write it, stripped, to `out` (default: in
    place). Raises nbclient's CellExecutionError on the first cell that fails. Returns the seconds it took."""
    import nbformat
    from nbclient import NotebookClient
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(cwd or path.parent)}})
    t0 = time.perf_counter()
    client.execute(env=env)
    seconds = time.perf_counter() - t0
    nbformat.write(strip(nb), out or path)
    return seconds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="notebooks to run (default: all *.ipynb here)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = ap.parse_args(argv)
    paths = [HERE / n for n in args.names] if args.names else sorted(HERE.glob("*.ipynb"))
    for p in paths:
        print(f"{p.name}: {execute(p, timeout=args.timeout):.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())

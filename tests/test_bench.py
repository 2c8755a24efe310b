"""The benchmark harness (benchmarks/) without PyTorch: tinygrad_lr's worker on a tiny MLP, the same-weights
comparison and the report's PyTorch columns on made-up numbers. Nothing here is timed and torch is never imported."""
import json
import sys

import numpy as np

from benchmarks import spec
from benchmarks.__main__ import compare, main
from benchmarks.report import Report


def test_tinygrad_lr_only_run(tmp_path, capsys):
    out = tmp_path / "bench.json"
    rc = main(["--no-torch", "--models", "mlp", "--batch", "4", "--repeats", "2", "--warmup", "1",
               "--min-time", "0", "--no-memory", "--json", str(out)])
    assert rc == 0
    text = capsys.readouterr().out
    assert "PyTorch: not measured" in text and "RT-HPO step" in text and "bare-GEMM" in text
    r = json.loads(out.read_text())
    times = r["times"]["tinygrad_lr"]["mlp"]
    assert set(spec.WORKLOADS + ["gemm", "numpy"]) <= set(times)
    assert all(len(v) == 2 and min(v) > 0 for v in times.values())
    assert r["checks"]["mlp"]["pass"] and r["n_params"]["mlp"] == 784 * 512 + 512 + 512 * 256 + 256 + 256 * 10 + 10
    assert "torch" not in sys.modules


def _result(models=("mlp", "lenet")):
    rng = np.random.default_rng(0)
    times = {fw: {m: {w: list(rng.uniform(1e-3, 2e-3, 3) * s) for w in spec.WORKLOADS + ["gemm"]} for m in models}
             for fw, s in (("tinygrad_lr", 1.5), ("torch", 1.0))}
    for m in models:
        del times["torch"][m]["gemm"]
    times["tinygrad_lr"]["overhead"] = {"add": [3e-3] * 3}
    times["torch"]["overhead"] = {"add": [2e-3] * 3}
    worker = {"versions": {"tinygrad_lr": "0", "numpy": "0", "torch": "0"}, "malloc": True, "device": "cpu"}
    mem = [{"framework": fw, "method": m, "batch": 128, "rss_growth_kib": k} for fw in ("tinygrad_lr", "torch")
           for m, k in (("sgd", 1000), ("rthpo", 1800))]
    mem += [{"framework": "tinygrad_lr", "method": m, "batch": 128, "traced_live_before": 10, "traced_peak": p}
            for m, p in (("sgd", 100), ("rthpo", 140))]
    return {"machine": {"cpu": "x", "cores": 2, "usable_cores": 2, "platform": "p", "python": "3", "numpy_blas": "b",
                        "env": {}, "date": "d"},
            "settings": {"models": list(models), "device": "cpu", "batch": 128, "threads": 2, "repeats": 3,
                         "warmup": 1, "min_time": 0.1, "quick": False},
            "frameworks": ["tinygrad_lr", "torch"], "times": times, "checks": {}, "memory": mem,
            "workers": {"tinygrad_lr": worker, "torch": worker}, "n_params": {}, "wall_seconds": 1.0}


def test_report_with_pytorch_columns():
    rep = Report(_result())
    text = rep.text()
    assert "tinygrad_lr / PyTorch" in text and "LeNet5 grad <= 1.5x PyTorch" in text
    assert "RT-HPO / SGD" in text and "1.40" in text  # the memory ratio from tracemalloc: 140 / 100
    assert "not judged (3 rounds)" in text  # too few rounds for a verdict on a time, not on memory
    ratios = [s for s in rep.summary if s.get("workload") == "grad" and s["model"] == "mlp"][0]
    assert ratios["ratio"]["n"] == 3 and 0.5 < ratios["ratio"]["median"] < 4


def test_compare_flags_a_wrong_hvp():
    names = ["w"]
    out = {"loss": 1.0, "n_params": 4,
           "firstorder": [{"lr": 0.01, "hypergrad": None, "loss": 1.0}, {"lr": 0.011, "hypergrad": -1.0, "loss": 0.9}]}
    out["rthpo"] = out["firstorder"]
    g = np.arange(4, dtype=np.float32)
    good = {f"grad/{n}": g for n in names} | {f"hvp/{n}": g for n in names}
    assert compare("mlp", out, good, out, dict(good))["pass"]
    bad = dict(good, **{"hvp/w": g * 1.01})
    res = compare("mlp", out, bad, out, good)
    assert not res["pass"] and res["hvp_rel_err"] > spec.TOLERANCES["hvp"]

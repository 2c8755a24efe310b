"""The lecture checks' report: metrics.json (every verdict and the numbers behind it), runs.npz (the curves), and
the verdicts as text."""
import os

import numpy as np

from ..common.files import write_json
from .config import SOURCE


def _curves(results):
    """Flat name -> array of every recorded curve, for runs.npz."""
    out = {}

    def walk(prefix, obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(f"{prefix}/{k}" if prefix else str(k), v)
        elif isinstance(obj, (list, np.ndarray)) and len(obj) and not isinstance(obj, str):
            arr = np.asarray(obj)
            if arr.dtype.kind in "fi":
                out[prefix] = arr
    for name, (res, _) in results.items():
        walk(name, res)
    return out


def _summary(obj):
    """The result without its long curves (kept in runs.npz): final values only."""
    if isinstance(obj, dict):
        return {str(k): _summary(v) for k, v in obj.items() if k not in ("effective_lr_all", "w")}
    if isinstance(obj, (list, np.ndarray)) and len(obj) > 8:
        arr = np.asarray(obj)
        return {"first": arr[0].tolist(), "last": arr[-1].tolist(), "length": len(arr)}
    return obj.tolist() if isinstance(obj, np.ndarray) else obj


def write(out, results, judged, scale):
    np.savez_compressed(os.path.join(out, "runs.npz"), **_curves(results))
    write_json(os.path.join(out, "metrics.json"), {
        "experiment": f"the qualitative claims of {SOURCE}, checked on small problems", "scale": scale,
        "seconds": {n: round(s, 1) for n, (_, s) in results.items()},
        "verdicts": judged, "results": {n: _summary(r) for n, (r, _) in results.items()}})
    return [os.path.join(out, "metrics.json"), os.path.join(out, "runs.npz")]


def log_report(judged, scale, log=print):
    log(f"{SOURCE}: the lecture's claims on small problems (budget scale {scale:g})")
    for v in judged:
        log(f"- {v['verdict']:9s} [{v['slide']}] \"{v['lecture_says']}\"\n    measured: {v['measured']}")
    n = {k: sum(v["verdict"] == k for v in judged) for k in ("AGREES", "DISAGREES", "UNTESTED")}
    log(f"\n{n['AGREES']} agree, {n['DISAGREES']} disagree, {n['UNTESTED']} untested")

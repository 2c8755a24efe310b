"""The RMSProp worked example's verdicts and report: every value next to the post's with a pass/fail at 2 decimals
(|ours - post| < 0.005), printed as tables and written to metrics.json.

The post's intermediate values are checked too; its s(2) and ∇E(w(1)) are computed from w(1) ROUNDED to
(-14.84, 19.84), so ours (from the exact w(1) = (-14.8419, 19.8419)) differ there beyond 2 decimals: reported, and
recomputed from the rounded w(1) as the post did."""
import numpy as np

from ..common.files import write_json
from .config import BETA, EPSILON, ETA, ETA_GD, POST, POST_INTERMEDIATE, SOURCE, W0


def match(ours, ref):
    return bool(np.all(np.abs(np.array(ours) - np.array(ref)) < 0.005 + 1e-12))


def _fmt(v):
    return "(" + ", ".join(f"{x:.4f}" for x in v) + ")"


def compare(results):
    """(rows, intermediate, all_match): the four weight vectors the post gives (w(1), w(2) of both schemes, the
    RMSProp-style ones also through optim.RMSprop) and its intermediate values, each with its match."""
    rows, ok = [], True
    for scheme in ("GD", "RMSProp-style"):
        for k, (w, ref) in enumerate(zip(results[scheme], POST[scheme]), 1):
            row = {"scheme": scheme, "step": k, "w": list(w), "post": list(ref), "match": match(w, ref)}
            ok &= row["match"]
            if scheme == "RMSProp-style":
                torch_form = results["optim.RMSprop"][k - 1]
                row["w_optim_RMSprop"] = list(torch_form)
                row["match_optim_RMSprop"] = match(torch_form, ref)
                ok &= row["match_optim_RMSprop"]
            rows.append(row)
    (w1, s1, g0), (w2, s2, g1) = results["exact"]
    rounded = results["from_rounded_w1"]
    inter = []
    for name, val, from_rounded in [("s(1)", s1, s1), ("grad E(w(1))", g1, rounded[2]), ("s(2)", s2, rounded[1])]:
        ref = POST_INTERMEDIATE[name]
        inter.append({"value": name, "ours": list(val), "post": list(ref), "match": match(val, ref),
                      "ours_from_rounded_w1": list(from_rounded), "match_from_rounded_w1": match(from_rounded, ref)})
    return rows, inter, ok


def log_report(rows, inter, ok, log=print):
    log(f"{SOURCE}: E(w) = 3 w1^2 + 10 w2^2, w0 = {W0}; GD eta = {ETA_GD}; RMSProp-style eta = {ETA}, "
        f"beta = {BETA}, eps = {EPSILON}")
    log("| scheme | value | tinygrad_lr | post | match (2 decimals) |\n|---|---|---|---|---|")
    for row in rows:
        k, ref = row["step"], tuple(row["post"])
        log(f"| {row['scheme']} | w({k}) | {_fmt(row['w'])} | {ref} | {'yes' if row['match'] else 'NO'} |")
        if row["scheme"] == "RMSProp-style":
            log(f"| RMSProp-style via optim.RMSprop (eps outside the root) | w({k}) | {_fmt(row['w_optim_RMSprop'])} "
                f"| {ref} | {'yes' if row['match_optim_RMSprop'] else 'NO'} |")
    log("\nintermediate values (the post computes step 2 from w(1) rounded to 2 decimals)")
    log("| value | tinygrad_lr | match | from the rounded w(1) | match | post |\n|---|---|---|---|---|---|")
    for r in inter:
        log(f"| {r['value']} | {_fmt(r['ours'])} | {'yes' if r['match'] else 'no'} | "
            f"{_fmt(r['ours_from_rounded_w1'])} | {'yes' if r['match_from_rounded_w1'] else 'no'} | "
            f"{r['post']} |")
    log(f"\nall four weight vectors match the post at 2 decimals (both RMSProp forms): {'yes' if ok else 'NO'}")


def write(out, rows, inter, ok):
    path = f"{out}/metrics.json"
    write_json(path, {"experiment": f"the RMSProp-style worked example of {SOURCE!r}", "w0": W0,
                      "eta_gd": ETA_GD, "eta": ETA, "beta": BETA, "eps": EPSILON,
                      "rows": rows, "intermediate": inter, "all_match": ok})
    return path


def write_tutorial(out, judged, trajs, log=print):
    """tutorial.json: the verdicts on the post's three figures and the trajectories behind Figure 2; printed."""
    from . import tutorial
    log("\nthe post's three figures, redrawn from our runs: what the post says about them")
    for v in judged:
        log(f"  {v['verdict']:9s} (Figure {v['figure']}) \"{v['post']}\" -- measured: {v['measured']}")
    path = f"{out}/tutorial.json"
    write_json(path, {"experiment": f"the three figures of {SOURCE!r}",
                      "trajectories": {"eta": tutorial.TRAJ_ETA, "steps": tutorial.TRAJ_STEPS, "gd_eta": tutorial.GD_ETA,
                                       "paths": {k: v.tolist() for k, v in trajs.items()}},
                      "c_a": {"betas": tutorial.CA_BETAS, "range": tutorial.CA_RANGE, "n": tutorial.CA_N},
                      "verdicts": judged})
    return path

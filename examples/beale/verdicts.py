"""The Beale experiment's verdicts: each of Fischer (2020)'s statements about a base/"+" pair (config.CLAIMS)
judged from the recorded trajectories.

Claims about speed are judged from the counts to 1e-3; claims about closeness "after convergence" from the
median distance over the second half of the iterations after both runs reached 1e-3 (Adam and Adam+ keep
oscillating near the minimum, so one final value is noise). Where both medians are below config.FLOOR the runs
sit at float64 round-off and the claim is reported UNTESTED. These judgements hold for the budget run: at 12,000
iterations every method of the post's table has converged; with a short --iters they say what they see at that
budget."""
import math

import numpy as np

from .compute import distances
from .config import CLAIMS, FLOOR, PAIRS


def count(it):
    """An iteration count for the table: the number, or "never"."""
    return "never" if it is None else it


def final_distance(traj, iters):
    """The distance after the last of `iters` steps, or "diverged" if the run stopped early or is not finite."""
    d = distances(traj)
    return float(d[-1]) if len(traj) == iters + 1 and math.isfinite(d[-1]) else "diverged"


def late_median(traj, start):
    """Median distance over the second half of the iterations from `start` on (None if under 100 of them)."""
    lo = start + (len(traj) - start) // 2
    return float(np.median(distances(traj)[lo:])) if len(traj) - lo >= 100 else None, lo


def judge(kind, param, base, plus, rows, results):
    """One claim against what was measured: (agrees True/False/None, what was measured).

    Iteration claims use the counts to 1e-3. "Closer after convergence" uses, for both runs, the median
    distance over the second half of the iterations after BOTH reached 1e-3 (both methods oscillate near the
    minimum, so one final value is noise); below FLOOR for both it is float64 round-off and cannot be judged."""
    ib, ip = rows[base]["iterations_to_1e-3"], rows[plus]["iterations_to_1e-3"]
    if kind in ("sooner", "ratio"):
        if ip == "never":
            return False, f"{plus} never reaches 1e-3 ({base}: {ib})"
        if ib == "never":
            return (True if kind == "sooner" else None), f"{plus} reaches 1e-3 at {ip}, {base} never does"
        r = ip / ib
        measured = f"{plus} {ip} vs {base} {ib} iterations: {r:.2f}x the steps"
        if kind == "sooner":
            return ip < ib, measured
        return param[0] <= r <= param[1], measured + f" (Fischer: {param[0]}-{param[1]}x)"
    if "never" in (ib, ip):
        return None, "not both reach 1e-3 within the budget"
    (db, lo), (dp, _) = (late_median(results[n][0], max(ib, ip)) for n in (base, plus))
    if db is None or dp is None:
        return None, "fewer than 100 iterations after both reached 1e-3: increase --iters"
    measured = f"median distance over iterations {lo}-{len(results[base][0]) - 1}: {plus} {dp:.2e} vs {base} {db:.2e}"
    if max(db, dp) < FLOOR:
        return None, measured + " (both at float64 round-off: the claim cannot be tested)"
    near, far = (dp, db) if kind == "closer" else (db, dp)
    return (near * param <= far if param > 1 else near < far), measured + f" ({far / near:.1f}x)"


def ratio_text(base, plus, ib, ip):
    if ib is None or ip is None:
        return f"{plus} {count(ip)} vs {base} {count(ib)} iterations"
    return f"{plus} {ip} vs {base} {ib} iterations: {ip / ib:.2f}x the steps"


def verdicts_of(rows, results, reference=None):
    """For every base/+ pair: does + reach 1e-3 sooner, and each of the post's claims judged (CLAIMS).

    rows: name -> row of the table (each "+" row gets its pair's verdict as "verdict_vs_base", for metrics.csv);
    results: name -> (trajectory, ...); reference (optional): name -> the counts to 1e-3 of Fischer's own code
    (compute.fischer_counts), summarised per pair under "fischer_code"."""
    out = []
    for base, plus in PAIRS:
        ib, ip = rows[base]["iterations_to_1e-3"], rows[plus]["iterations_to_1e-3"]
        sooner = ip != "never" and (ib == "never" or ip < ib)
        claims = []
        for kind, param, words in CLAIMS[base]:
            agrees, measured = judge(kind, param, base, plus, rows, results)
            claims.append({"fischer_says": words, "measured": measured, "agrees": agrees,
                           "verdict": {True: "AGREES", False: "DISAGREES", None: "UNTESTED"}[agrees]})
        out.append({"pair": f"{base} vs {plus}", "base_iterations": ib, "plus_iterations": ip,
                    "plus_reaches_1e-3_sooner": sooner,
                    "ratio": ip / ib if sooner and ib != "never" else None, "claims": claims})
    for r in rows.values():
        base = next((b for b, p in PAIRS if p == r["method"]), None)
        r["verdict_vs_base"] = "" if base is None else (
            f"sooner than {base}" if next(v for v in out if v["pair"] == f"{base} vs {r['method']}")[
                "plus_reaches_1e-3_sooner"] else f"NOT sooner than {base}")
    if reference is not None:
        for v, (base, plus) in zip(out, PAIRS):
            v["fischer_code"] = ratio_text(base, plus, reference[base][0], reference[plus][0])
            if base == "NAG":
                v["fischer_code"] += ("; its NAG takes the gradient at x + γv, with the look-ahead x - γv: "
                                      + ratio_text(base, plus, reference[base][1], reference[plus][1]))
    return out

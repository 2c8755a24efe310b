"""The Beale experiment's verdicts: each of Fischer (2020)'s statements about a base/"+" pair (config.CLAIMS)
judged from the recorded trajectories.

Claims about speed are judged from the counts to 1e-3; claims about closeness "after convergence" from the
median distance over the second half of the iterations after both runs reached 1e-3 (Adam and Adam+ keep
oscillating near the minimum, so one final value is noise). Where either run comes below config.FLOOR in that
window, float64 round-off decides which run is closer and the claim is reported UNTESTED, whatever the budget (at
the README's 12,000 iterations this is the case for GD/GD+ and GDM/GDM+; at `make demo`'s 3,000 also for Adam,
which has not reached 1e-3 by then). exact.py runs the same iterations in 250-digit decimal arithmetic, and
`verdicts_of(..., exact=...)` judges the closeness claims on those runs as well ("exact_verdict")."""
import math

import numpy as np

from .compute import distances
from .config import CLAIMS, FLOOR, PAIRS
from .exact import DEFAULT_PREC


VERDICT = {True: "AGREES", False: "DISAGREES", None: "UNTESTED"}


def count(it):
    """An iteration count for the table: the number, or "never"."""
    return "never" if it is None else it


def final_distance(traj, iters):
    """The distance after the last of `iters` steps, or "diverged" if the run stopped early or is not finite."""
    d = distances(traj)
    return float(d[-1]) if len(traj) == iters + 1 and math.isfinite(d[-1]) else "diverged"


def late_median(traj, start, log10_dist=None):
    """Median distance over the second half of the iterations from `start` on (None if under 100 of them), the
    first iteration of that window, and the smallest distance in it. log10_dist (optional): log10 of the distances
    instead of a trajectory (the decimal runs of exact.py, whose distances go below float64's range)."""
    with np.errstate(divide="ignore"):
        ld = np.log10(distances(traj)) if log10_dist is None else np.asarray(log10_dist, dtype=np.float64)
    lo = start + (len(ld) - start) // 2
    if len(ld) - lo < 100:
        return None, lo, None
    return float(10 ** np.median(ld[lo:])), lo, float(10 ** np.min(ld[lo:]))


def judge(kind, param, base, plus, rows, results, log10_dists=None):
    """One claim against what was measured: (agrees True/False/None, what was measured).

    Iteration claims use the counts to 1e-3. "Closer after convergence" uses, for both runs, the median
    distance over the second half of the iterations after BOTH reached 1e-3 (both methods oscillate near the
    minimum, so one final value is noise). If EITHER run comes below FLOOR anywhere in that window, float64
    round-off decides the comparison and it is UNTESTED: the budget does not support a verdict (exact.py runs the
    same iterations without round-off). log10_dists: name -> log10 distances per iteration to judge instead of
    the trajectories (the decimal runs; then FLOOR does not apply)."""
    ib, ip = rows[base]["iterations_to_1e-3"], rows[plus]["iterations_to_1e-3"]
    if kind in ("sooner", "ratio"):
        if ip == "never" and ib == "never":
            return None, f"neither {plus} nor {base} reaches 1e-3 within the budget: increase --iters"
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
    exact = log10_dists is not None
    (db, lo, mb), (dp, _, mp) = (late_median(None if exact else results[n][0], max(ib, ip),
                                             log10_dists[n] if exact else None) for n in (base, plus))
    if db is None or dp is None:
        return None, "fewer than 100 iterations after both reached 1e-3: increase --iters"
    end = (len(log10_dists[base]) if exact else len(results[base][0])) - 1
    measured = f"median distance over iterations {lo}-{end}: {plus} {dp:.2e} vs {base} {db:.2e}"
    if not exact and min(mb, mp) < FLOOR:
        return None, measured + (f" (a run comes below {FLOOR:g}, float64 round-off, in that window: round-off "
                                 "decides which is closer, not the method; see the exact-arithmetic verdict)")
    near, far = (dp, db) if kind == "closer" else (db, dp)
    if exact:  # how fast each still approaches the minimum over the window: a factor that grows with the budget?
        slope = {n: float(np.polyfit(np.arange(lo, end + 1), np.asarray(log10_dists[n][lo:end + 1]), 1)[0]) * 1000
                 for n in (base, plus)}
        measured += (f"; over that window the distance still changes by {slope[plus]:+.2f} ({plus}) and "
                     f"{slope[base]:+.2f} ({base}) decades per 1000 iterations")
    return (near * param <= far if param > 1 else near < far), measured + f" ({far / near:.3g}x)"


def ratio_text(base, plus, ib, ip):
    if ib is None or ip is None:
        return f"{plus} {count(ip)} vs {base} {count(ib)} iterations"
    return f"{plus} {ip} vs {base} {ib} iterations: {ip / ib:.2f}x the steps"


def verdicts_of(rows, results, reference=None, exact=None):
    """For every base/+ pair: does + reach 1e-3 sooner, and each of the post's claims judged (CLAIMS).

    rows: name -> row of the table (each "+" row gets its pair's verdict as "verdict_vs_base", for metrics.csv);
    results: name -> (trajectory, ...); reference (optional): name -> the counts to 1e-3 of Fischer's own code
    (compute.fischer_counts), summarised per pair under "fischer_code"; exact (optional): name -> log10 distances
    of the decimal runs (exact.run_exact), which judge the closeness claims once more ("exact_verdict")."""
    out = []
    for base, plus in PAIRS:
        ib, ip = rows[base]["iterations_to_1e-3"], rows[plus]["iterations_to_1e-3"]
        sooner = ip != "never" and (ib == "never" or ip < ib)  # False also when neither reaches 1e-3
        claims = []
        for kind, param, words in CLAIMS[base]:
            agrees, measured = judge(kind, param, base, plus, rows, results)
            claims.append({"fischer_says": words, "measured": measured, "agrees": agrees,
                           "verdict": VERDICT[agrees]})
            if exact is not None and kind in ("closer", "base_closer") and base in exact and plus in exact:
                agrees_x, measured_x = judge(kind, param, base, plus, rows, results, exact)
                claims[-1].update(exact_agrees=agrees_x, exact_verdict=VERDICT[agrees_x],
                                  exact_measured=measured_x + f" ({DEFAULT_PREC}-digit decimal arithmetic)")
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

r"""Seed 000 (Fischer 2020) on Beale's function: GD, GDM, NAG, Adam and their "+" variants with the seed's
hyper-parameters, plus AdaGrad, RMSprop, AdaDelta (seed 004) and two hypergradient methods for comparison.

    f(x, y) = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)²,   minimum f(3, 0.5) = 0, start (-2, -1)

x and y are two float64 scalar Tensors; every gradient comes from autodiff. Each method runs a fixed number of
iterations; its trajectory (x, y after every step) and learning rates (η_x, η_y used by every step) are
recorded, and every metric is computed from those records: the first iteration whose iterate lies within
Euclidean distance 1e-3 of (3, 0.5) ("never" if none within the budget), the final and the smallest distance.

Methods and hyper-parameters
- GD, GDM, NAG, Adam and GD+, GDM+, NAG+, Adam+: the seed's table (η; α for the "+" variants), γ = 0.5,
  β1 = 0.9, β2 = 0.99, ε = 1e-8. "+" is hyper.FischerPlus(base, α) per element: before each step
  η_i ← η_i + α·g_i^(t)·g_i^(t-1) with the raw gradients, then the base optimizer's step with that η.
- Momentum is tinygrad_lr's (= torch.optim.SGD's) form: b ← γb + g, w ← w − η·b; Nesterov: w ← w − η·(g + γb),
  which records the look-ahead point. The seed's code keeps the step instead: v ← γv + η·g, w ← w − v. At a
  fixed η both are the same iteration (v = η·b); when η changes every step (GDM+, NAG+) they are not: the
  seed's v carries the old η's inside it, torch's b is re-scaled by the current η.
- The code published with the post (a public copy of its gradient_descent.py, whose main() has the seed's
  table and start point) evaluates NAG's gradient at x + γv, i.e. BEHIND the iterate (x moves by −v), not at
  the look-ahead x − γv. `seed_code()` below re-implements the post's algorithms in NumPy (its forms, analytic
  gradients) so the table can show how much of each difference comes from these formulations.
- AdaGrad (η = 2), RMSprop (η = 1e-3, α = 0.9 as seed 001's β, ε = 1e-8), AdaDelta (torch's defaults η = 1,
  ρ = 0.9, ε = 1e-6): chosen as the seed chose its table, the fastest to 1e-3 on a small grid at 12,000 steps
  (AdaGrad η ∈ {0.1, 0.2, 0.5, 1, 2, 3, 5}; RMSprop α = 0.9 with η ∈ {5e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2} and
  α = 0.99 with η ∈ {1e-3, 3e-3}; AdaDelta η ∈ {1, 3, 10} at ρ = 0.9, ε = 1e-6 and ρ ∈ {0.9, 0.95} × ε ∈ {1e-4,
  1e-3, 1e-2} at η = 1: none of these reaches 1e-3, so torch's defaults are kept).
- "HD (first-order)": hyper.FirstOrder(GD, β) with ONE global η, Baydin et al.'s hypergradient descent
  η ← η + β·g_t·g_{t-1} (the dot product summed over both coordinates; per element it would be GD+ exactly,
  which the tests check); "RT-HPO": hyper.RTHPO(GD, β), global η, the full tangent recursion (one HVP per
  step), E = the training loss f itself. β = 1e-5 for both: the fastest on the grid {1e-7, 1e-6, 1e-5, 1e-4}
  (β = 1e-4 diverges for both).

Verdicts. Each of the seed's statements about a pair (SEED_CLAIMS) is judged from the records: claims about
speed from the counts to 1e-3; claims about closeness "after convergence" from the median distance over the
second half of the iterations after both runs reached 1e-3 (Adam and Adam+ keep oscillating near the
minimum, so one final value is noise). Where both medians are below 1e-12 the runs sit at float64 round-off and
the claim is reported UNTESTED. These judgements hold for the budget run: at 12,000 iterations every method of
the seed's table has converged; with a short --iters they say what they see at that budget.

Cost: about 60-70 s of CPU at the default 12,000 iterations (RT-HPO's HVP and the η-adapting wrappers are the
dearest), spread over `jobs` worker processes.
"""
import math
import os
import time

import numpy as np

from .. import hyper, optim
from ..hyper.base import LRMethod
from ..tensor import Tensor
from .common import out_dir, write_csv, write_json

START, MINIMUM, TOL = (-2.0, -1.0), (3.0, 0.5), 1e-3
GAMMA, BETAS, EPS = 0.5, (0.9, 0.99), 1e-8
DEFAULT_ITERS = 12000
# seed 000's table: method -> (η, α)
SEED_TABLE = {"GD": (0.01, 0.0), "GD+": (0.01, 1e-4), "GDM": (0.015, 0.0), "GDM+": (0.01, 1e-5),
              "NAG": (0.006, 0.0), "NAG+": (0.006, 1e-6), "Adam": (0.0005, 0.0), "Adam+": (0.0005, 1e-8)}
PAIRS = [("GD", "GD+"), ("GDM", "GDM+"), ("NAG", "NAG+"), ("Adam", "Adam+")]
OTHERS = [("AdaGrad", "RMSprop", "AdaDelta"), ("GD", "HD (first-order)", "RT-HPO")]
FLOOR = 1e-12  # distances below this are float64 round-off of the iterate (|x| ~ 3, ulp ~ 4e-16, times steps)

# What the seed says about each pair, as testable statements: (kind, parameter, the seed's words).
#   "sooner": + reaches 1e-3 in fewer iterations; "ratio": its count / the base's count lies in the interval;
#   "closer": + ends at least `factor` times closer; "base_closer": the base ends at least `factor` times closer.
SEED_CLAIMS = {
    "GD": [("sooner", None, "GD+ approaches the global minimum much faster"),
           ("closer", 10, "it also gets about an order of magnitude closer after convergence")],
    "GDM": [("sooner", None, "the optimizer with adaptive learning rates converges much faster"),
            ("closer", 1, "and also gets closer to the global minimum")],
    "NAG": [("ratio", (0.4, 0.6), "NAG+ requires only about half the steps to converge compared to NAG")],
    "Adam": [("sooner", None, "the optimizer with adaptive learning rate converges much faster"),
             ("base_closer", 10, "standard Adam gets closer to the global minimum by about one order of magnitude")],
}


def beale(x, y):
    """Beale's function of two Tensors (or floats / arrays): products only, so it is cheap to differentiate."""
    y2 = y * y
    a = 1.5 - x + x * y
    b = 2.25 - x + x * y2
    c = 2.625 - x + x * (y2 * y)
    return a * a + b * b + c * c


def beale_grad(x, y):
    """Analytic gradient (for the tests and the NumPy reference)."""
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3
    return (2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1),
            2 * a * x + 4 * b * x * y + 6 * c * x * y ** 2)


def _base(kind, params, lr):
    if kind == "GD":
        return optim.SGD(params, lr=lr)
    if kind == "GDM":
        return optim.SGD(params, lr=lr, momentum=GAMMA)
    if kind == "NAG":
        return optim.SGD(params, lr=lr, momentum=GAMMA, nesterov=True)
    if kind == "Adam":
        return optim.Adam(params, lr=lr, betas=BETAS, eps=EPS)
    raise ValueError(kind)


class Method:
    """One row of the experiment: make(params) builds what is stepped (an optimizer or a hyper wrapper)."""

    def __init__(self, name, make, eta, alpha=0.0, hyper_lr=0.0, note=""):
        self.name, self.make, self.eta, self.alpha, self.hyper_lr, self.note = name, make, eta, alpha, hyper_lr, note


def methods():
    """name -> Method, in the order of the table."""
    out = {}
    for name, (lr, alpha) in SEED_TABLE.items():
        kind = name.rstrip("+")
        if alpha:
            out[name] = Method(name, lambda p, k=kind, lr=lr, a=alpha: hyper.FischerPlus(_base(k, p, lr), a), lr,
                               alpha=alpha, note=f"hyper.FischerPlus({kind}, alpha), per-element eta; seed 000 table")
        else:
            out[name] = Method(name, lambda p, k=kind, lr=lr: _base(k, p, lr), lr, note="seed 000 table")
    out["AdaGrad"] = Method("AdaGrad", lambda p: optim.Adagrad(p, lr=2.0), 2.0, note="seed 004; eta from a grid")
    out["RMSprop"] = Method("RMSprop", lambda p: optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-8), 1e-3,
                            note="seed 004; alpha=0.9; eta from a grid")
    out["AdaDelta"] = Method("AdaDelta", lambda p: optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6), 1.0,
                             note="seed 004; torch defaults (no grid point reached 1e-3)")
    out["HD (first-order)"] = Method("HD (first-order)", lambda p: hyper.FirstOrder(optim.SGD(p, lr=0.01), 1e-5),
                                     0.01, hyper_lr=1e-5,
                                     note="hyper.FirstOrder(GD, beta), global eta (Baydin et al.); beta from a grid")
    out["RT-HPO"] = Method("RT-HPO", lambda p: hyper.RTHPO(optim.SGD(p, lr=0.01), 1e-5), 0.01, hyper_lr=1e-5,
                           note="hyper.RTHPO(GD, beta), global eta, E = f; beta from a grid")
    return out


def _etas(stepper):
    """(η_x, η_y) that the step just taken used."""
    if isinstance(stepper, LRMethod):
        e = stepper.lr
        return (float(e[0]), float(e[1])) if isinstance(e, list) else (float(e), float(e))
    return tuple(float(g["lr"]) for g in stepper.param_groups for _ in g["params"])


def run_one(method, iters):
    """Run one method (a name, a Method or a factory params -> stepper) for `iters` steps from START.

    Returns (trajectory, learning_rates): arrays of shape (n+1, 2) (the start, then (x, y) after every step)
    and (n, 2) (η_x, η_y of every step); n < iters only if the iterate stopped being finite."""
    make = methods()[method].make if isinstance(method, str) else getattr(method, "make", method)
    x = Tensor(START[0], requires_grad=True, dtype=np.float64)
    y = Tensor(START[1], requires_grad=True, dtype=np.float64)
    stepper = make([x, y])
    traj, lrs = [START], []
    closure = lambda: beale(x, y)  # noqa: E731
    for _ in range(iters):
        if isinstance(stepper, LRMethod):
            stepper.step(closure)
        else:
            stepper.zero_grad()
            closure().backward()
            stepper.step()
        traj.append((x.item(), y.item()))
        lrs.append(_etas(stepper))
        if not all(map(math.isfinite, traj[-1])):
            break
    return np.array(traj, dtype=np.float64), np.array(lrs, dtype=np.float64).reshape(-1, 2)


def seed_code(name, iters, nag_lookahead=+1.0):
    """The post's own algorithms in NumPy (its forms: v ← γv + η·g, w ← w − v; NAG's gradient at x + γ·v as its
    code has it, or at the look-ahead x − γ·v with nag_lookahead=-1; Adam+ as its pseudocode), analytic
    gradients. Returns the trajectory, shape (iters+1, 2) (shorter if it stopped being finite)."""
    eta0, alpha = SEED_TABLE[name]
    kind = name.rstrip("+")
    w, eta = np.array(START), np.full(2, eta0)
    g_old, v, m, s = np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)
    traj = [w.copy()]
    for i in range(iters):
        at = w + nag_lookahead * GAMMA * v if kind == "NAG" else w
        g = np.array(beale_grad(*at))
        eta = eta + alpha * g * g_old
        if kind == "GD":
            w = w - eta * g
        elif kind in ("GDM", "NAG"):
            v = GAMMA * v + eta * g
            w = w - v
        else:
            m = BETAS[0] * m + (1 - BETAS[0]) * g
            s = BETAS[1] * s + (1 - BETAS[1]) * g * g
            w = w - eta / (np.sqrt(s / (1 - BETAS[1] ** (i + 1))) + EPS) * (m / (1 - BETAS[0] ** (i + 1)))
        g_old = g
        traj.append(w.copy())
        if not np.all(np.isfinite(w)):
            break
    return np.array(traj)


def distances(traj):
    return np.hypot(traj[:, 0] - MINIMUM[0], traj[:, 1] - MINIMUM[1])


def iterations_to(traj, tol=TOL):
    """The first iteration (0 = the start) whose iterate is within tol of the minimum; None if never."""
    hit = np.flatnonzero(distances(traj) < tol)
    return int(hit[0]) if hit.size else None


def _run_named(args):
    name, iters = args
    t0 = time.perf_counter()
    traj, lrs = run_one(name, iters)
    return name, traj, lrs, time.perf_counter() - t0


def run_all(iters, jobs=1, names=None):
    """name -> (trajectory, learning rates, seconds); `jobs` worker processes (1: in this process)."""
    names = list(methods()) if names is None else list(names)
    # the costliest first (RT-HPO: an HVP per step; then the η-adapting wrappers), so the workers finish together
    cost = {n: 2 if n == "RT-HPO" else 1 if (n.endswith("+") or n.startswith("HD")) else 0 for n in names}
    work = [(n, iters) for n in sorted(names, key=lambda n: -cost[n])]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(max_workers=jobs) as ex:
            done = list(ex.map(_run_named, work))
    else:
        done = [_run_named(w) for w in work]
    return {n: (t, l, s) for n, t, l, s in done}


def _count(it):
    return "never" if it is None else it


def _fmt_d(d):
    return d if isinstance(d, str) else f"{d:.2e}"


def _final(traj, iters):
    d = distances(traj)
    return float(d[-1]) if len(traj) == iters + 1 and math.isfinite(d[-1]) else "diverged"


def _late_median(traj, start):
    """Median distance over the second half of the iterations from `start` on (None if under 100 of them)."""
    lo = start + (len(traj) - start) // 2
    return float(np.median(distances(traj)[lo:])) if len(traj) - lo >= 100 else None, lo


def _judge(kind, param, base, plus, rows, results):
    """One seed claim against what was measured: (agrees True/False/None, what was measured).

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
        return param[0] <= r <= param[1], measured + f" (the seed: {param[0]}-{param[1]}x)"
    if "never" in (ib, ip):
        return None, "not both reach 1e-3 within the budget"
    (db, lo), (dp, _) = (_late_median(results[n][0], max(ib, ip)) for n in (base, plus))
    if db is None or dp is None:
        return None, "fewer than 100 iterations after both reached 1e-3: increase --iters"
    measured = f"median distance over iterations {lo}-{len(results[base][0]) - 1}: {plus} {dp:.2e} vs {base} {db:.2e}"
    if max(db, dp) < FLOOR:
        return None, measured + " (both at float64 round-off: the claim cannot be tested)"
    near, far = (dp, db) if kind == "closer" else (db, dp)
    return (near * param <= far if param > 1 else near < far), measured + f" ({far / near:.1f}x)"


def verdicts_of(rows, results):
    """For every base/+ pair: does + reach 1e-3 sooner, and each of the seed's claims judged (SEED_CLAIMS)."""
    out = []
    for base, plus in PAIRS:
        ib, ip = rows[base]["iterations_to_1e-3"], rows[plus]["iterations_to_1e-3"]
        sooner = ip != "never" and (ib == "never" or ip < ib)
        claims = []
        for kind, param, words in SEED_CLAIMS[base]:
            agrees, measured = _judge(kind, param, base, plus, rows, results)
            claims.append({"seed_says": words, "measured": measured, "agrees": agrees,
                           "verdict": {True: "AGREES", False: "DISAGREES", None: "UNTESTED"}[agrees]})
        out.append({"pair": f"{base} vs {plus}", "base_iterations": ib, "plus_iterations": ip,
                    "plus_reaches_1e-3_sooner": sooner,
                    "ratio": ip / ib if sooner and ib != "never" else None, "claims": claims})
    return out


def _ratio_text(base, plus, ib, ip):
    if ib is None or ip is None:
        return f"{plus} {_count(ip)} vs {base} {_count(ib)} iterations"
    return f"{plus} {ip} vs {base} {ib} iterations: {ip / ib:.2f}x the steps"


def run(iters=DEFAULT_ITERS, out="runs/beale", plots=True, log=print, jobs=1):
    """The whole experiment: runs, metrics.json / metrics.csv / trajectories.npz, the table and the verdicts,
    and (plots=True) trajectories.png, distance.png, learning_rates.png. Returns (rows, verdicts)."""
    out = out_dir(out)
    t0 = time.perf_counter()
    ms = methods()
    results = run_all(iters, jobs)
    seed_ref = {n: (iterations_to(seed_code(n, iters)), iterations_to(seed_code(n, iters, -1.0))
                    if n.startswith("NAG") else None) for n in SEED_TABLE}
    rows = []
    for name, m in ms.items():
        traj, lrs, secs = results[name]
        d = distances(traj)
        row = {"method": name, "eta": m.eta, "alpha": m.alpha, "hyper_lr_beta": m.hyper_lr,
               "iterations_to_1e-3": _count(iterations_to(traj)), "final_distance": _final(traj, iters),
               "min_distance": float(np.nanmin(d)),
               "final_eta_x": float(lrs[-1, 0]) if len(lrs) else m.eta,
               "final_eta_y": float(lrs[-1, 1]) if len(lrs) else m.eta,
               "seed_code_iterations": _count(seed_ref[name][0]) if name in seed_ref else "",
               "seconds": round(secs, 2), "note": m.note}
        rows.append(row)
    by_name = {r["method"]: r for r in rows}
    verdicts = verdicts_of(by_name, results)
    for r in rows:  # the pair verdict on the "+" rows too, so that metrics.csv has it
        base = next((b for b, p in PAIRS if p == r["method"]), None)
        r["verdict_vs_base"] = "" if base is None else (
            f"sooner than {base}" if next(v for v in verdicts if v["pair"] == f"{base} vs {r['method']}")[
                "plus_reaches_1e-3_sooner"] else f"NOT sooner than {base}")
    for v, (base, plus) in zip(verdicts, PAIRS):
        v["seed_code"] = _ratio_text(base, plus, seed_ref[base][0], seed_ref[plus][0])
        if base == "NAG":
            v["seed_code"] += ("; its NAG takes the gradient at x + γv, with the look-ahead x - γv: "
                               + _ratio_text(base, plus, seed_ref[base][1], seed_ref[plus][1]))
    np.savez_compressed(os.path.join(out, "trajectories.npz"),
                        **{f"{n}/traj": t for n, (t, _, _) in results.items()},
                        **{f"{n}/lr": l for n, (_, l, _) in results.items()})
    write_json(os.path.join(out, "metrics.json"), {
        "experiment": "seed 000: Beale's function", "iterations": iters, "start": START, "minimum": MINIMUM,
        "tolerance": TOL, "hyperparameters": {"gamma": GAMMA, "betas": BETAS, "eps": EPS},
        "momentum_form": "torch: b = gamma*b + g; w -= eta*b (nesterov: w -= eta*(g + gamma*b)); the seed's code: "
                         "v = gamma*v + eta*g; w -= v (same at a fixed eta, not when eta changes)",
        "seed_code_nag_lookahead_minus": {n: _count(seed_ref[n][1]) for n in ("NAG", "NAG+")},
        "methods": rows, "verdicts": verdicts})
    write_csv(os.path.join(out, "metrics.csv"), rows)

    log(f"\nBeale's function: {iters} iterations from {START}; distance to the minimum {MINIMUM}")
    log("momentum: torch's form b = γb + g, w -= η·b (the seed's code: v = γv + η·g, w -= v)\n")
    log("| method | η | α | β | iterations to 1e-3 | final distance | min distance | seed's code (NumPy) |")
    log("|---|---|---|---|---|---|---|---|")
    for r in rows:
        log(f"| {r['method']} | {r['eta']:g} | {r['alpha']:g} | {r['hyper_lr_beta']:g} | {r['iterations_to_1e-3']} | "
            f"{_fmt_d(r['final_distance'])} | {r['min_distance']:.2e} | {r['seed_code_iterations']} |")
    nag = {n: _count(seed_ref[n][1]) for n in ("NAG", "NAG+")}
    log(f"\nseed's code with NAG's gradient at the look-ahead x - γv instead of x + γv: NAG {nag['NAG']}, "
        f"NAG+ {nag['NAG+']} iterations")
    log("\nVerdicts (is the seed's claim what tinygrad_lr measures?)")
    for v in verdicts:
        head = "reaches 1e-3 sooner" if v["plus_reaches_1e-3_sooner"] else "does NOT reach 1e-3 sooner"
        ratio = f", {v['ratio']:.2f}x the steps" if v["ratio"] is not None else ""
        log(f"- {v['pair']}: {v['pair'].split(' vs ')[1]} {head} ({v['base_iterations']} vs "
            f"{v['plus_iterations']}{ratio})")
        for c in v["claims"]:
            log(f"    {c['verdict']:9s} seed: \"{c['seed_says']}\" -- measured: {c['measured']}")
        log(f"    the post's own algorithm (NumPy): {v['seed_code']}")
    files = [os.path.join(out, f) for f in ("metrics.json", "metrics.csv", "trajectories.npz")]
    if plots:
        files += figures(results, out)
    log(f"\n{time.perf_counter() - t0:.1f} s; wrote " + ", ".join(files))
    return rows, verdicts


def _save(fig, path, dpi):
    """PNG with a 256-colour palette (a third of the size of matplotlib's RGBA, the same to the eye)."""
    import io

    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    try:
        from PIL import Image
        Image.open(buf).convert("RGB").quantize(colors=256).save(path, optimize=True)
    except ImportError:  # matplotlib depends on Pillow, but just in case
        with open(path, "wb") as f:
            f.write(buf.getvalue())
    return path


def figures(results, out, dpi=100):
    """trajectories.png, distance.png, learning_rates.png under `out` from {name: (trajectory, lrs, ...)}."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    groups = PAIRS + OTHERS
    paths = []

    # trajectories on log-spaced contours of f
    xs, ys = np.meshgrid(np.linspace(-3, 4.5, 200), np.linspace(-2.5, 2.5, 200))
    zs = beale(xs, ys)
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.4), constrained_layout=True)
    for ax, group in zip(axes.flat, groups):
        ax.contour(xs, ys, zs, levels=np.logspace(-1, 5, 16), norm=LogNorm(), cmap="viridis",
                   linewidths=0.5)
        for name, color in zip(group, ("tab:red", "tab:blue", "tab:orange")):
            t = results[name][0]
            it = iterations_to(t)
            ax.plot(t[:, 0], t[:, 1], lw=1.3, color=color, marker=".", ms=3, markevery=max(1, len(t) // 150),
                    label=f"{name} ({'never' if it is None else it})")
        ax.plot(*MINIMUM, "*", color="k", ms=14, zorder=5)
        ax.plot(*START, "o", color="w", mec="k", ms=6, zorder=5)
        ax.set(xlim=(-3, 4.5), ylim=(-2.5, 2.5), xlabel="x", ylabel="y", title=" vs ".join(group))
        ax.legend(fontsize=8, loc="lower right", title="iterations to 1e-3", title_fontsize=7)
    fig.suptitle(f"Beale's function, log-spaced contours: trajectories from {START} (○) to the minimum "
                 f"{MINIMUM} (★)")
    paths.append(_save(fig, os.path.join(out, "trajectories.png"), dpi))

    # distance to the minimum
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharey=True)
    for ax, group in zip(axes.flat, groups):
        for name in group:
            ax.plot(distances(results[name][0]), lw=1.1, label=name)
        ax.axhline(TOL, color="k", lw=0.7, ls=":")
        ax.set(yscale="log", xlabel="iteration", title=" vs ".join(group), ylim=(1e-16, 20))
        ax.legend(fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel("distance to (3, 0.5)")
    fig.suptitle("Distance to the minimum per iteration (dotted: 1e-3)")
    fig.tight_layout()
    paths.append(_save(fig, os.path.join(out, "distance.png"), dpi))

    # learning rates of the adaptive-η methods
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    panels = [p for _, p in PAIRS] + [("HD (first-order)", "RT-HPO")]
    for ax, p in zip(axes.flat, panels):
        if isinstance(p, tuple):
            for name in p:
                lrs = results[name][1]
                ax.plot(np.arange(1, len(lrs) + 1), lrs[:, 0], lw=1.1, label=f"{name}: η (global)")
            ax.set_title("GD with a hypergradient-adapted global η")
        else:
            lrs = results[p][1]
            ax.plot(np.arange(1, len(lrs) + 1), lrs[:, 0], lw=1.1, label="η_x")
            ax.plot(np.arange(1, len(lrs) + 1), lrs[:, 1], lw=1.1, label="η_y")
            ax.set_title(f"{p} (η₀ = {SEED_TABLE[p][0]:g}, α = {SEED_TABLE[p][1]:g})")
        ax.set(xscale="log", xlabel="iteration", ylabel="learning rate")
        ax.legend(fontsize=8)
    axes.flat[-1].set_visible(False)
    fig.suptitle("Learning rates per iteration (the η each step used)")
    fig.tight_layout()
    paths.append(_save(fig, os.path.join(out, "learning_rates.png"), dpi))
    return paths

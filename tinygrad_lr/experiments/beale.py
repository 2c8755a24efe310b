"""Seed 000 (Fischer 2020) on Beale's function: GD, GDM, NAG, Adam and their "+" variants with the seed's
hyper-parameters, plus AdaGrad, RMSprop, AdaDelta (seed 004) and the hypergradient methods for comparison.

f(x, y) = (1.5 - x + xy)² + (2.25 - x + xy²)² + (2.625 - x + xy³)², minimum f(3, 0.5) = 0, start (-2, -1); the
gradients come from autodiff (float64). Momentum is torch's form b ← γb + g, w ← w - ηb (the seed's code for
GDM/NAG is not shown; at a fixed η it equals v ← γv + ηg, w ← w - v, with a varying η it does not).
"""
import math

import numpy as np

from .. import hyper, optim
from ..hyper.base import LRMethod
from ..tensor import Tensor
from .common import out_dir, write_csv, write_json

START, MINIMUM = (-2.0, -1.0), (3.0, 0.5)
GAMMA, BETAS, EPS = 0.5, (0.9, 0.99), 1e-8
# seed 000's table: method -> (η, α)
SEED_TABLE = {"GD": (0.01, 0.0), "GD+": (0.01, 1e-4), "GDM": (0.015, 0.0), "GDM+": (0.01, 1e-5),
              "NAG": (0.006, 0.0), "NAG+": (0.006, 1e-6), "Adam": (0.0005, 0.0), "Adam+": (0.0005, 1e-8)}
PAIRS = [("GD", "GD+"), ("GDM", "GDM+"), ("NAG", "NAG+"), ("Adam", "Adam+")]
SEED_CLAIMS = {"GD": "GD+ takes much larger steps and converges much faster",
               "GDM": "GDM+ converges much faster", "NAG": "NAG+ needs about half the steps of NAG",
               "Adam": "Adam+ approaches the minimum with larger steps, more directly"}


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


def beale_grad(x, y):
    """Analytic gradient (for the tests)."""
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3
    return (2 * a * (y - 1) + 2 * b * (y ** 2 - 1) + 2 * c * (y ** 3 - 1),
            2 * a * x + 4 * b * x * y + 6 * c * x * y ** 2)


def _base(name, params, lr):
    kind = name.rstrip("+")
    if kind == "GD":
        return optim.SGD(params, lr=lr)
    if kind == "GDM":
        return optim.SGD(params, lr=lr, momentum=GAMMA)
    if kind == "NAG":
        return optim.SGD(params, lr=lr, momentum=GAMMA, nesterov=True)
    if kind == "Adam":
        return optim.Adam(params, lr=lr, betas=BETAS, eps=EPS)
    raise ValueError(name)


def methods():
    """name -> (factory(params) -> stepper, η, α or β, description)."""
    out = {}
    for name, (lr, alpha) in SEED_TABLE.items():
        if alpha:
            out[name] = (lambda p, n=name, lr=lr, a=alpha: hyper.FischerPlus(_base(n, p, lr), a), lr, alpha,
                         "Fischer + (per-parameter η)")
        else:
            out[name] = (lambda p, n=name, lr=lr: _base(n, p, lr), lr, 0.0, "seed 000 table")
    out["AdaGrad"] = (lambda p: optim.Adagrad(p, lr=0.5), 0.5, 0.0, "seed 004")
    out["RMSprop"] = (lambda p: optim.RMSprop(p, lr=0.01, alpha=0.9), 0.01, 0.0, "seed 004")
    out["AdaDelta"] = (lambda p: optim.Adadelta(p, lr=1.0, rho=0.9), 1.0, 0.0, "seed 004")
    out["GD first-order HD"] = (lambda p: hyper.FirstOrder(optim.SGD(p, lr=0.01), 1e-5, granularity="element"),
                                0.01, 1e-5, "hyper.FirstOrder, per-parameter η (= GD+ with α = β)")
    out["GD RT-HPO"] = (lambda p: hyper.RTHPO(optim.SGD(p, lr=0.01), 1e-6), 0.01, 1e-6, "hyper.RTHPO, global η")
    return out


def run_one(factory, iters):
    x = Tensor(START[0], requires_grad=True, dtype=np.float64)
    y = Tensor(START[1], requires_grad=True, dtype=np.float64)
    stepper = factory([x, y])
    traj, lrs = [START], []
    for _ in range(iters):
        if isinstance(stepper, LRMethod):
            stepper.step(lambda: beale(x, y))
            e = stepper.lr
            lrs.append((float(e[0]), float(e[1])) if isinstance(e, list) else (float(e), float(e)))
        else:
            stepper.zero_grad()
            beale(x, y).backward()
            stepper.step()
            lr = stepper.param_groups[0]["lr"]
            lrs.append((lr, lr))
        traj.append((x.item(), y.item()))
        if not all(map(math.isfinite, traj[-1])):
            break
    return np.array(traj), np.array(lrs)


def distances(traj):
    return np.hypot(traj[:, 0] - MINIMUM[0], traj[:, 1] - MINIMUM[1])


def iterations_to(traj, tol=1e-3):
    """First iteration whose iterate is within tol of the minimum (None if never)."""
    d = distances(traj)
    hit = np.flatnonzero(d < tol)
    return int(hit[0]) if hit.size else None


def run(iters=10000, out="runs/beale", plots=True, log=print):
    out = out_dir(out)
    results, rows = {}, []
    for name, (factory, lr, a, note) in methods().items():
        traj, lrs = run_one(factory, iters)
        results[name] = (traj, lrs)
        it = iterations_to(traj)
        d = distances(traj)
        rows.append({"method": name, "eta": lr, "alpha_or_beta": a, "iterations_to_1e-3": it if it is not None
                     else "never", "final_distance": float(d[-1]) if math.isfinite(d[-1]) else "diverged",
                     "min_distance": float(np.nanmin(d)), "note": note})
    verdicts = []
    for base, plus in PAIRS:
        rb, rp = (next(r for r in rows if r["method"] == m) for m in (base, plus))
        ib, ip = rb["iterations_to_1e-3"], rp["iterations_to_1e-3"]
        faster = ip != "never" and (ib == "never" or ip < ib)
        ratio = f" ({ip / ib:.2f}x the steps)" if faster and ib != "never" else ""
        verdicts.append({"pair": f"{base} vs {plus}", "base_iterations": ib, "plus_iterations": ip,
                         "plus_faster": faster, "seed_claims": SEED_CLAIMS[base],
                         "verdict": (f"{plus} reaches 1e-3 sooner{ratio}" if faster else
                                     f"{plus} does NOT reach 1e-3 sooner than {base} here")})
    write_json(f"{out}/metrics.json", {"iterations": iters, "start": START, "minimum": MINIMUM,
                                       "hyperparameters": {"gamma": GAMMA, "betas": BETAS, "eps": EPS},
                                       "methods": rows, "verdicts": verdicts})
    write_csv(f"{out}/metrics.csv", rows)
    log(f"\nBeale's function, {iters} iterations from {START} (distance to {MINIMUM})")
    log(f"| method | η | α / β | iterations to 1e-3 | final distance |\n|---|---|---|---|---|")
    for r in rows:
        fd = r["final_distance"]
        log(f"| {r['method']} | {r['eta']} | {r['alpha_or_beta']} | {r['iterations_to_1e-3']} | "
            f"{fd if isinstance(fd, str) else f'{fd:.2e}'} |")
    log("")
    for v in verdicts:
        log(f"{v['pair']}: {v['verdict']} (base {v['base_iterations']}, plus {v['plus_iterations']}); "
            f"seed claims: {v['seed_claims']}")
    files = [f"{out}/metrics.json", f"{out}/metrics.csv"]
    if plots:
        files += figures(results, out)
    log("\nwrote " + ", ".join(files))
    return rows, verdicts


def figures(results, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm
    xs, ys = np.meshgrid(np.linspace(-4.5, 4.5, 300), np.linspace(-4.5, 4.5, 300))
    zs = beale(xs, ys) + 1e-12
    fig, axes = plt.subplots(2, 3, figsize=(15, 9.5))
    groups = PAIRS + [("AdaGrad", "RMSprop", "AdaDelta"), ("GD first-order HD", "GD RT-HPO")]
    for ax, group in zip(axes.flat, groups):
        ax.contour(xs, ys, zs, levels=np.logspace(-1, 5, 25), norm=LogNorm(), cmap="Greys", linewidths=0.6)
        for name in group:
            t = results[name][0]
            ax.plot(t[:, 0], t[:, 1], lw=1.2, label=name)
        ax.plot(*MINIMUM, "k*", ms=12)
        ax.plot(*START, "ko", ms=5)
        ax.set(xlim=(-4.5, 4.5), ylim=(-4.5, 4.5), title=" vs ".join(group))
        ax.legend(fontsize=8, loc="lower right")
    fig.suptitle("Trajectories on Beale's function (log-spaced contours; ★ minimum (3, 0.5))")
    fig.tight_layout()
    paths = [f"{out}/trajectories.png"]
    fig.savefig(paths[-1], dpi=70)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 5))
    for name, (t, _) in results.items():
        ax.plot(distances(t), lw=1.1, label=name, ls="--" if name.endswith("+") else "-")
    ax.axhline(1e-3, color="k", lw=0.6, ls=":")
    ax.set(yscale="log", xscale="log", xlabel="iteration", ylabel="distance to (3, 0.5)",
           title="Distance to the minimum per iteration")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    paths.append(f"{out}/distance.png")
    fig.savefig(paths[-1], dpi=80)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharex=True)
    for name, (_, lrs) in results.items():
        if name.endswith("+") or "HD" in name or "RT-HPO" in name:
            for ax, k in zip(axes, (0, 1)):
                ax.plot(lrs[:, k] / lrs[0, k], lw=1.1, label=name)
    for ax, k in zip(axes, "xy"):
        ax.set(xscale="log", xlabel="iteration", ylabel=f"η_{k} / η_{k}(0)", title=f"learning rate of {k}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(f"{out}/learning_rates.png")
    fig.savefig(paths[-1], dpi=80)
    plt.close(fig)
    return paths

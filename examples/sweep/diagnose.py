"""Why does an RT-HPO (or First-order) cell of Table 1 diverge? Re-run its first steps exactly as the sweep ran them
(same seed, init, batches and validation batches) and record, at every step, the training loss, η_t, the hypergradient
h_t = ∇E·z_t, the tangent's norm ‖z_t‖ = ‖dw_t/dη‖, and every --eig-every steps the top eigenvalue λ_max of the
training batch's Hessian (power iteration on Hessian-vector products), so η·λ_max can be read against 2.

The tangent itself is checked first (--fd-steps): with η held fixed, z_T from the recursion against central
differences of two float64 SGD runs at η ± δ, δ = 1e-7·η and smaller (to 1e-12·η) until they agree: the step at
which no ReLU or max-pool choice flips and the run's sensitivity to η is still linear.

    python -m tinygrad_lr.examples.sweep.diagnose --cells lenet:0.05:1e-4 lenet:0.05:1e-5 mlp:0.05:1e-3 \\
        --steps 400 --out docs/results/table1_lenet/diagnosis

--method firstorder / firstorder-val traces the first-order methods the same way (their z is ∂Φ/∂η of the last
step only). Writes trace.json (every series, the check, the settings) and <method>_trace.png (--replot redraws it
from trace.json).
"""
import argparse
import math
import os
import time

import numpy as np

from ..common.data import add_data_root
from ..common.files import out_dir, write_json
from .compute import _cycle


def _setup(model_name, lr, hyper_lr, seed, data, dtype=None, method="rthpo"):
    """The sweep cell's model, RT-HPO stepper and training batches, built as compute.train_run builds them."""
    import tinygrad_lr as tl
    import tinygrad_lr.functional as F
    from tinygrad_lr import datasets, models

    from ..common.methods import make_method
    (Xtr, ytr), (Xva, yva), _ = data
    if dtype is not None:
        Xtr, Xva = Xtr.astype(dtype), Xva.astype(dtype)
    tl.manual_seed(seed)
    model = models.MLP([784, 512, 256, 10]) if model_name == "mlp" else models.LeNet5()
    if dtype is not None:
        model = model.double()
    val_iter = _cycle(datasets.DataLoader(Xva, yva, batch_size=128, shuffle=True, seed=seed + 1000))

    def val_closure():
        xb, yb = next(val_iter)
        return F.cross_entropy(model(xb), yb)
    stepper, _ = make_method(method, model.parameters(), lr, hyper_lr, val_closure, "sgd")
    train = _cycle(datasets.DataLoader(Xtr, ytr, batch_size=128, shuffle=True, seed=seed))
    return model, stepper, train


def top_eigenvalue(model, xb, yb, iters=20, seed=0):
    """λ_max of the Hessian of the batch's cross-entropy in the weights: power iteration on HVPs (double backprop).
    Returns the Rayleigh quotient of the last iterate (the eigenvalue of largest magnitude, with its sign)."""
    import tinygrad_lr as tl
    import tinygrad_lr.functional as F
    params = model.parameters()
    g = tl.grad(F.cross_entropy(model(xb), yb), params, create_graph=True)
    rng = np.random.default_rng(seed)
    v = [tl.Tensor(rng.standard_normal(p.shape).astype(p.numpy().dtype)) for p in params]
    lam = 0.0
    for _ in range(iters):
        n = math.sqrt(sum(float((x.numpy().astype(np.float64) ** 2).sum()) for x in v))
        v = [x / n for x in v]
        hv = tl.grad(g, params, v, retain_graph=True)
        lam = sum(float((a.numpy().astype(np.float64) * b.numpy()).sum()) for a, b in zip(hv, v))
        v = [x.detach() for x in hv]
    return lam


def _znorm(stepper):
    return math.sqrt(sum(float((v.numpy().astype(np.float64) ** 2).sum()) for (i, k), v in stepper.z[0].items()
                         if k is None)) if stepper.z else 0.0


def trace(model_name, lr, hyper_lr, seed, steps, data, eig_every=25, log=print, method="rthpo"):
    """Per-step series of one cell of `method` (rthpo: RT-HPO (Val), firstorder, firstorder-val): loss, lr,
    hypergrad, z_norm; eig_step / lam_max every eig_every."""
    import tinygrad_lr.functional as F
    model, stepper, train = _setup(model_name, lr, hyper_lr, seed, data, method=method)
    out = {"loss": [], "lr": [], "hypergrad": [], "z_norm": [], "eig_step": [], "lam_max": []}
    t0 = time.perf_counter()
    for t in range(steps):
        xb, yb = next(train)
        loss = float(stepper.step(lambda: F.cross_entropy(model(xb), yb)).item())
        h = stepper.history[-1]
        out["loss"].append(loss)
        out["lr"].append(float(h["lr"]))
        out["hypergrad"].append(None if h.get("hypergrad") is None else float(h["hypergrad"]))
        out["z_norm"].append(_znorm(stepper))
        if not math.isfinite(loss):
            log(f"[diagnose] {model_name} η̄={lr} β={hyper_lr}: loss not finite at step {t}; stopped")
            break
        if eig_every and t % eig_every == 0:
            out["eig_step"].append(t)
            out["lam_max"].append(top_eigenvalue(model, xb, yb))
    log(f"[diagnose] {model_name} η̄={lr} β={hyper_lr} seed {seed}: {len(out['loss'])} steps in "
        f"{time.perf_counter() - t0:.0f} s; final η {out['lr'][-1]:.4g}, loss {out['loss'][-1]:.4g}, "
        f"max ‖z‖ {max(out['z_norm']):.4g}, max |h| {max(abs(x) for x in out['hypergrad'] if x is not None):.4g}")
    return out


DELTAS = (1e-7, 1e-9, 1e-11, 1e-12)  # relative steps of the central differences, tried in turn


def tangent_check(model_name, lr, seed, steps, data, deltas=DELTAS):
    """‖z_T‖ from the recursion (η fixed: β = 0) against central differences of float64 SGD runs at η ± δ, for
    δ = d·η with d from `deltas` in turn until they agree to 1e-4: how small δ must be is how far the run stays
    linear in η (ReLU and max-pool choices flip, and a chaotic run amplifies a change of η exponentially)."""
    import tinygrad_lr.functional as F

    def run(eta, tangent):
        model, stepper, train = _setup(model_name, eta, 0.0, seed, data, dtype=np.float64,
                                       method="rthpo" if tangent else "sgd")
        for _ in range(steps):
            xb, yb = next(train)
            if tangent:
                stepper.step(lambda: F.cross_entropy(model(xb), yb))
            else:
                stepper.zero_grad()
                F.cross_entropy(model(xb), yb).backward()
                stepper.step()
        return model, stepper
    _, st = run(lr, True)
    n = len(st.params)
    z = np.concatenate([st.z[0][(i, None)].numpy().ravel() for i in range(n)])
    tried = []
    for rel in deltas:
        d = rel * lr
        wp = [p.numpy().copy() for p in run(lr + d, False)[0].parameters()]
        wm = [p.numpy().copy() for p in run(lr - d, False)[0].parameters()]
        fd = np.concatenate([((a - b) / (2 * d)).ravel() for a, b in zip(wp, wm)])
        tried.append({"delta": d, "fd_norm": float(np.linalg.norm(fd)),
                      "relative_error": float(np.linalg.norm(z - fd) / np.linalg.norm(fd))})
        if tried[-1]["relative_error"] < 1e-4:
            break
    return {"model": model_name, "lr": lr, "seed": seed, "steps": steps, "z_norm": float(np.linalg.norm(z)),
            **tried[-1], "tried": tried}


ETA_RANGE = 2.0  # the η axis of the figure: |η| up to this


def plot(result, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5), sharex=True)
    colours = ["tab:red", "tab:purple", "tab:blue", "tab:green", "tab:orange", "tab:brown"]
    for c, (name, tr) in zip(colours, result["traces"].items()):
        t = np.arange(len(tr["loss"]))
        axes[0, 0].semilogy(t, tr["loss"], color=c, lw=1, label=name)
        cut = any(abs(x) > ETA_RANGE for x in tr["lr"])
        axes[0, 1].plot(t, tr["lr"], color=c, lw=1, label=name + (f" (leaves the axis: |η| > {ETA_RANGE:g})" if cut
                                                                  else ""))
        h = np.array([np.nan if x is None else abs(x) for x in tr["hypergrad"]])
        axes[1, 0].semilogy(t, np.where(h > 0, h, np.nan), color=c, lw=0.8, label=name)
        z = np.array(tr["z_norm"], dtype=float)  # 0: a non-finite tangent was restarted (not drawn)
        axes[1, 1].semilogy(t, np.where(z > 0, z, np.nan), color=c, lw=1, label=f"{name}: ‖z_t‖")
        if tr["eig_step"]:
            lam = np.array(tr["lam_max"])
            eta = np.array(tr["lr"])[tr["eig_step"]]
            axes[0, 1].plot(tr["eig_step"], 2 / np.where(lam > 0, lam, np.nan), "o", color=c, ms=4, mfc="none",
                            label=f"{name}: 2/λ_max")
    axes[0, 0].set_ylabel("training loss (batch)")
    axes[0, 1].set_ylabel("η_t (line); 2/λ_max (circles)")
    axes[0, 1].axhline(0, color="grey", lw=0.5)
    axes[1, 0].set_ylabel("|h_t| = |∇E·z_t|")
    axes[1, 1].set_ylabel("‖z_t‖ = ‖dw_t/dη‖")
    for ax in axes.ravel():
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("step")
    # η's axis shows the range in which the runs train; a run whose η leaves it (on its way to divergence) is cut
    shown = [x for tr in result["traces"].values() for x in tr["lr"] if abs(x) <= ETA_RANGE]
    shown += [2 / x for tr in result["traces"].values() for x in tr["lam_max"] if x > 2 / ETA_RANGE]
    axes[0, 1].set_ylim(min(shown) - 0.05, max(shown) + 0.05)
    from .figures import NAMES
    method = result.get("method", "rthpo")
    fig.suptitle(f"{NAMES.get(method, method)}{' (Val)' if method == 'rthpo' else ''}, SGD, seed {result['seed']}: "
                 f"the first {result['steps']} steps of each Table-1 cell (a run stops when its loss is not finite)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _cell(spec):
    try:
        model, lr, beta = spec.split(":")
        if model not in ("mlp", "lenet"):
            raise ValueError
        return model, float(lr), float(beta)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a cell is MODEL:LR:BETA with MODEL mlp or lenet, e.g. lenet:0.05:1e-4; "
                                         f"got {spec!r}") from None


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tinygrad_lr.examples.sweep.diagnose", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cells", nargs="+", type=_cell, default=[("lenet", 0.05, 1e-4)], help="MODEL:LR:BETA ...")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--eig-every", type=int, default=25, help="steps between λ_max estimates (0: none)")
    p.add_argument("--fd-steps", type=int, default=125, help="steps of the tangent check (0: skip it)")
    p.add_argument("--out", default="docs/results/table1_lenet/diagnosis")
    p.add_argument("--method", default="rthpo", choices=("rthpo", "firstorder", "firstorder-val"),
                   help="the hypergradient method of the cells (default rthpo: RT-HPO (Val))")
    p.add_argument("--replot", action="store_true", help="redraw <method>_trace.png from <out>/trace.json (no runs)")
    add_data_root(p)
    a = p.parse_args(argv)
    if a.replot:
        import json
        src = os.path.join(a.out, "trace.json")
        if not os.path.exists(src):
            p.error(f"--replot: no {src} (run without --replot first)")
        with open(src) as f:
            result = json.load(f)
        fig = f"{result.get('method', 'rthpo')}_trace.png"
        plot(result, os.path.join(a.out, fig))
        print(f"[diagnose] redrew {a.out}/{fig} from trace.json")
        return 0
    if a.steps < 1:
        p.error(f"--steps must be >= 1, got {a.steps}")
    from .compute import load_data
    data = {m: load_data(a.data_root, None, m) for m in sorted({c[0] for c in a.cells})}
    result = {"method": a.method, "seed": a.seed, "steps": a.steps, "eig_every": a.eig_every, "command": "python -m "
              "tinygrad_lr.examples.sweep.diagnose " + " ".join(argv if argv is not None else __import__("sys").argv[1:]),
              "traces": {}, "tangent_check": []}
    if a.fd_steps and a.method == "rthpo":  # the first-order methods' z is one step's ∂Φ/∂η: nothing to check
        for m in sorted({(c[0], c[1]) for c in a.cells}):
            chk = tangent_check(m[0], m[1], a.seed, a.fd_steps, data[m[0]])
            print(f"[diagnose] tangent check {m[0]} η={m[1]}, {a.fd_steps} steps, float64: ‖z‖ {chk['z_norm']:.6g}; "
                  + "; ".join(f"δ = {t['delta']:.0e}: central differences {t['fd_norm']:.6g}, relative error "
                              f"{t['relative_error']:.2e}" for t in chk["tried"]))
            result["tangent_check"].append(chk)
    for model, lr, beta in a.cells:
        result["traces"][f"{model} η̄={lr:g} β={beta:g}"] = trace(model, lr, beta, a.seed, a.steps, data[model],
                                                                  a.eig_every, method=a.method)
    out_dir(a.out)
    write_json(os.path.join(a.out, "trace.json"), result)
    plot(result, os.path.join(a.out, f"{a.method}_trace.png"))
    print(f"[diagnose] wrote {a.out}/trace.json and {a.method}_trace.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The computations: one training run per table cell (`run_cell`, resumable, skipped when finished) and the
two-dimensional quadratic analysis of Section 3 (`quadratic_analysis`).

A cell is a plain dict (config.cells); `run_cell(**cell, out=FOLDER)` trains it, checkpointing every epoch to
FOLDER/<cell id>/checkpoint.npz (train.fit's resume), writes FOLDER/<cell id>/result.json atomically when it
finishes, and returns that JSON-able dict. Called again with the same arguments it returns the stored result
without training; a half-finished cell continues from its last epoch. Nothing depends on which process or
machine runs the cell: a generic cell runner can dispatch `run_cell` with the dicts of config.cells."""
import json
import math
import os
import time

import numpy as np

from . import config


def cell_id(experiment, method, lr=None, c=None, seed=0, epochs=config.EPOCHS, train_size=None, **_):
    parts = [experiment, method]
    if lr is not None:
        parts.append(f"lr{lr:g}")
    if c is not None:
        parts.append(f"c{c:g}")
    parts.append(f"s{seed}_e{epochs}" + (f"_n{train_size}" if train_size else ""))
    return "_".join(parts)


def _write_json_atomic(path, obj):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _data(experiment, data_root, train_size):
    from tinygrad_lr import datasets
    load = datasets.load_fashion_mnist if experiment == "fmnist" else datasets.load_mnist
    (Xtr, ytr), (Xte, yte) = (load(data_root, s, flatten=True) for s in ("train", "test"))
    if train_size:
        Xtr, ytr = Xtr[:train_size], ytr[:train_size]
    return (Xtr, ytr), (Xte, yte)


def build_model(experiment, seed):
    import tinygrad_lr as tl
    from tinygrad_lr import models, nn
    tl.manual_seed(seed)
    if experiment == "fmnist":
        model = models.Autoencoder()
        std, bias = config.AE_INIT
        for m in model.modules() if hasattr(model, "modules") else model:
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0.0, std)
                nn.init.constant_(m.bias, bias)
        return model
    return models.MLP([784, 500, 300, 100, 10])


def make_stepper(method, params, lr=None, c=None, epochs=config.EPOCHS):
    """(object to step, per-epoch scheduler or None) for one cell's method."""
    from tinygrad_lr import hyper, optim
    from tinygrad_lr.optim import lr_scheduler
    params = list(params)
    if method == "sgd":
        return optim.SGD(params, lr=lr), None
    if method == "steplr":
        s = config.STEP_LR
        opt = optim.SGD(params, lr=s["lr"] if lr is None else lr)
        return opt, lr_scheduler.StepLR(opt, step_size=s["step_size"], gamma=s["gamma"])
    if method == "trapezoid":
        t = config.TRAPEZOID
        opt = optim.SGD(params, lr=t["lr"] if lr is None else lr)
        # per epoch: (e+1)/warmup up to epoch `warmup`, 1 until `flat_until`, then (epochs - e)/(epochs - flat_until)
        return opt, lr_scheduler.TrapezoidLR(opt, total_steps=epochs, warmup=t["warmup"],
                                             cooldown=epochs - t["flat_until"])
    if method == "wngrad":
        return optim.WNGrad(params, lr=config.WNGRAD_LR if lr is None else lr), None
    if method == "lossgrad":
        return hyper.LossGrad(optim.SGD(params, lr=config.H0 if lr is None else lr), c=c or config.C_DEFAULT), None
    raise ValueError(f"unknown method {method!r}")


def _eval(model, X, y, ae):
    import tinygrad_lr.functional as F
    from tinygrad_lr import datasets
    from tinygrad_lr.train import evaluate
    return evaluate(model, datasets.DataLoader(X, None if ae else y, batch_size=1000),
                    F.mse_loss if ae else F.cross_entropy)


def load_cell(out, experiment, method, lr=None, c=None, seed=0, epochs=config.EPOCHS, train_size=None, **_):
    """The stored result of a finished cell in `out` (what run_cell would return without training), else None."""
    cid = cell_id(experiment, method, lr, c, seed, epochs, train_size)
    cfg = dict(experiment=experiment, method=method, lr=lr, c=c, seed=seed, epochs=epochs, train_size=train_size)
    try:
        with open(os.path.join(out, cid, "result.json")) as f:
            done = json.load(f)
    except (OSError, ValueError):
        return None
    return done if done.get("config") == cfg else None


def run_cell(experiment, method, lr=None, c=None, seed=0, epochs=config.EPOCHS, train_size=None, data_root=None,
             out="runs/lossgrad_tables", progress=False, log=None):
    """Train one cell (see the module docstring); returns its result dict (JSON-able)."""
    from tinygrad_lr import datasets
    from tinygrad_lr.train import fit
    import tinygrad_lr.functional as F
    cid = cell_id(experiment, method, lr, c, seed, epochs, train_size)
    folder = os.path.join(out, cid)
    os.makedirs(folder, exist_ok=True)
    result_path = os.path.join(folder, "result.json")
    cfg = dict(experiment=experiment, method=method, lr=lr, c=c, seed=seed, epochs=epochs, train_size=train_size)
    if os.path.exists(result_path):
        with open(result_path) as f:
            done = json.load(f)
        if done.get("config") == cfg:
            return done
    ae = experiment == "fmnist"
    (Xtr, ytr), (Xte, yte) = _data(experiment, data_root, train_size)
    model = build_model(experiment, seed)
    stepper, sched = make_stepper(method, model.parameters(), lr, c, epochs)
    loader = datasets.DataLoader(Xtr, None if ae else ytr, batch_size=config.BATCH, shuffle=True, seed=seed)
    t0 = time.perf_counter()
    hist = fit(model, stepper, loader, epochs, F.mse_loss if ae else F.cross_entropy, scheduler=sched,
               checkpoint_path=os.path.join(folder, "checkpoint.npz"), resume=True, progress=progress, log=log,
               config={k: v for k, v in cfg.items() if v is not None})
    seconds = time.perf_counter() - t0
    train, test = _eval(model, Xtr, ytr, ae), _eval(model, Xte, yte, ae)
    res = dict(config=cfg, id=cid, label=config.label(cfg), train_loss=train["loss"], test_loss=test["loss"],
               train_accuracy=train.get("accuracy"), test_accuracy=test.get("accuracy"),
               epoch_seconds=float(np.median([h["seconds"] for h in hist])) if hist else None,
               seconds_this_process=seconds,
               epochs_log=[{k: v for k, v in h.items() if k in ("epoch", "loss", "accuracy", "lr", "seconds")}
                           for h in hist])
    steps = getattr(stepper, "history", None)
    if steps:  # LOSSGRAD: the step size and the batch loss of every step (for the spikes and their link to η)
        res["step_lr"] = [float(h["lr"]) for h in steps]
        res["step_loss"] = [float(h["loss"]) for h in steps]
        res["skipped"] = int(stepper.skipped)
    _write_json_atomic(result_path, res)
    return res


def run_cells(cells, out, jobs=1, log=print):
    """Run every cell (skipping finished ones); `jobs` worker processes. Returns the results in the cells' order."""
    if jobs <= 1:
        results = []
        for cl in cells:
            t = time.perf_counter()
            r = run_cell(**cl, out=out)
            log(f"{r['id']}: train {r['train_loss']:.4g} test {r['test_loss']:.4g}"
                + (f" acc {r['test_accuracy']:.4f}" if r.get("test_accuracy") is not None else "")
                + f" ({time.perf_counter() - t:.0f} s)")
            results.append(r)
        return results
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(jobs) as ex:
        futs = [ex.submit(run_cell, **cl, out=out) for cl in cells]
        return [f.result() for f in futs]


# ---- Section 3: the two-dimensional quadratic --------------------------------------------------------------------
def exact_line_search(lams, x0, steps):
    """Steepest descent with the locally optimal step (problem (1) of the paper) on f = ½ Σ λ_i x_i²:
    h_t = ‖g‖² / gᵀAg. Returns (iterates (steps+1, 2), steps h_t, f values)."""
    lam = np.asarray(lams, float)
    x = np.asarray(x0, float)
    xs, hs, fs = [x.copy()], [], [0.5 * (lam * x * x).sum()]
    for _ in range(steps):
        g = lam * x
        gg = (g * g).sum()
        if gg == 0:
            break
        h = gg / (lam * g * g).sum()
        x = x - h * g
        xs.append(x.copy()), hs.append(h), fs.append(0.5 * (lam * x * x).sum())
    return np.array(xs), np.array(hs), np.array(fs)


def lossgrad_quadratic(lams, x0, steps, c=config.C_DEFAULT, h0=config.H0, renormalise=True):
    """LOSSGRAD itself (hyper.LossGrad around optim.SGD, the library's code path) on f = ½ Σ λ_i x_i², a 2-vector
    float64 parameter. Returns (iterates, step sizes used, per-step ratios f(x_{t+1})/f(x_t)).

    renormalise: after every step the iterate is scaled back to unit length. LOSSGRAD's rule on a quadratic
    depends only on the direction of x (rel_err = h/(2h*(x)), h*(x) = ‖g‖²/gᵀAg), so this changes nothing but
    keeps f away from the round-off floor: without it, once h‖g‖² falls to ~1e-25 the authors' guard
    rel_err = (actual − approx)/(lred + 1e-25) reads ~0 and h grows at every step (see `underflow_demo`)."""
    import tinygrad_lr as tl
    from tinygrad_lr import hyper, optim
    lam = tl.Tensor(np.asarray(lams, float))
    x0 = np.asarray(x0, float)
    w = tl.Tensor(x0 / np.linalg.norm(x0) if renormalise else x0.copy(), requires_grad=True)
    method = hyper.LossGrad(optim.SGD([w], lr=h0), c=c)

    def closure():
        return 0.5 * (lam * w * w).sum()

    xs, hs, ratios = [w.data.copy()], [], []
    for _ in range(steps):
        hs.append(method.eta)
        f0 = float(closure().item())
        method.step(closure)
        f1 = float(closure().item())
        ratios.append(f1 / f0 if f0 > 0 else float("nan"))
        if renormalise:
            w.data[...] = w.data / np.linalg.norm(w.data)
        xs.append(w.data.copy())
        if not np.isfinite(f1) or f1 == 0:
            break
    return np.array(xs), np.array(hs), np.array(ratios)


def underflow_demo(lams=(2.0, 3.0), x0=(1.0, 1.0), steps=3000, c=1.05):
    """The same run without renormalising: the step size once f has fallen to the 1e-25 guard, and after."""
    xs, hs, ratios = lossgrad_quadratic(lams, x0, steps, c, renormalise=False)
    lam = np.asarray(lams)
    f = 0.5 * (lam * xs * xs).sum(axis=1)
    g2 = ((lam * xs) ** 2).sum(axis=1)[:len(hs)]
    floor = np.nonzero(hs * g2 < 1e-25)[0]
    k = int(floor[0]) if len(floor) else None
    return {"lams": list(lams), "c": c, "first_step_below_guard": k,
            "f_at_guard": float(f[k]) if k is not None else None, "h_at_guard": float(hs[k]) if k is not None else None,
            "h_max_after": float(hs[k:].max()) if k is not None else None, "f_final": float(f[-1]),
            "h_max_before": float(hs[:k].max()) if k else float(hs.max())}


def theory(lams):
    """What Section 3's analysis gives (our reconstruction; the formulas are lost from the text, docs/sources.md
    §3): with s = (g₂/g₁)² the squared ratio of the gradient's components, the optimal step is
    h(s) = (1+s)/(λ₁+λ₂s); one step of problem (1) sends s to 1/s, so the steps alternate between h(s) and h(1/s)
    with 1/h(s) + 1/h(1/s) = λ₁+λ₂; each step multiplies f by ρ(s) = s(λ₁−λ₂)²/((λ₁+λ₂s)(λ₂+λ₁s)), which is
    largest at s = 1: the bound (4) ρ* = ((λ₁−λ₂)/(λ₁+λ₂))² = ((κ−1)/(κ+1))², invariant to scaling, and equal to
    the rate of gradient descent at the best fixed step 2/(λ₁+λ₂) (Remark 2)."""
    l1, l2 = (float(v) for v in lams)
    return {"rho_bound": ((l1 - l2) / (l1 + l2)) ** 2, "inv_h_sum": l1 + l2, "h_harmonic": 2.0 / (l1 + l2),
            "h_range": sorted([1.0 / l1, 1.0 / l2])}


def rho_of(lams, s):
    l1, l2 = lams
    return s * (l1 - l2) ** 2 / ((l1 + l2 * s) * (l2 + l1 * s))


def quadratic_analysis(cases=((1.0, 10.0), (0.1, 1.0), (2.0, 3.0), (1.0, 100.0)),
                       starts=((1.0, 1.0), (3.0, -0.2), (0.05, 2.0)), steps=400, lossgrad_steps=20000,
                       c_values=(1.001, 1.01, 1.05, 1.2)):
    """Section 3 numerically, for each (λ₁, λ₂) and start: exact line search (problem (1)) against the theory,
    and LOSSGRAD's step size and rate. Returns a list of JSON-able rows."""
    rows = []
    for lams in cases:
        th = theory(lams)
        for x0 in starts:
            xs, hs, fs = exact_line_search(lams, x0, steps)
            n = min(len(hs), 40)  # before f reaches round-off
            g0 = np.asarray(lams) * np.asarray(x0)
            s0 = (g0[1] / g0[0]) ** 2
            ratios = fs[1:n + 1] / fs[:n]
            rows.append(dict(
                kind="exact", lams=list(lams), x0=list(x0), s0=s0, rho_bound=th["rho_bound"],
                rho_theory=rho_of(lams, s0), rho_measured_mean=float(np.exp(np.mean(np.log(ratios)))),
                rho_measured_max=float(ratios.max()),
                h_even=float(hs[0]), h_odd=float(hs[1]), h_alternates=float(np.max(np.abs(hs[2:n] - hs[:n - 2]) /
                                                                               hs[:n - 2])),
                inv_h_sum=float(1 / hs[0] + 1 / hs[1]), inv_h_sum_theory=th["inv_h_sum"]))
        for c in c_values:
            x0 = starts[0]
            xs, hs, ratios = lossgrad_quadratic(lams, x0, lossgrad_steps, c=c)
            # round-off: a component that underflows to exactly 0 leaves a 1-D problem (h → 1/λ, exact steps)
            zero = np.nonzero((xs[1:] == 0).any(axis=1))[0]
            end = int(zero[0]) if len(zero) else len(hs)
            climbed = np.nonzero(hs >= 1 / (c * max(lams)))[0]
            start = int(climbed[0]) if len(climbed) else end
            tail = slice(start + (end - start) // 4, end)
            if end - start < 400:  # too little of the settled phase before round-off ends it
                rows.append(dict(kind="lossgrad", lams=list(lams), x0=list(x0), c=c, steps=len(hs), degenerate=True,
                                 climbed_at=start, collapsed_at=end if len(zero) else None,
                                 h_harmonic_theory=th["h_harmonic"], h_range=th["h_range"],
                                 rho_bound=th["rho_bound"], h=[float(v) for v in hs]))
                continue
            h_tail, r_tail = hs[tail], ratios[tail]
            rows.append(dict(
                kind="lossgrad", lams=list(lams), x0=list(x0), c=c, steps=len(hs), degenerate=False,
                climbed_at=start, collapsed_at=end if len(zero) else None, tail=[tail.start, tail.stop],
                h_geomean_tail=float(np.exp(np.mean(np.log(h_tail)))), h_min_tail=float(h_tail.min()),
                h_max_tail=float(h_tail.max()), h_harmonic_theory=th["h_harmonic"], h_range=th["h_range"],
                h_stable_limit=2.0 / max(lams), rho_bound=th["rho_bound"],
                rho_measured=float(np.exp(np.mean(np.log(r_tail)))), rho_worst_step=float(r_tail.max()),
                frac_steps_f_up=float(np.mean(r_tail > 1)), h=[float(v) for v in hs]))
    return rows

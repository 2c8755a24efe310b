"""The learning-rate-free optimizers of tinygrad_lr.optim.parameter_free against plain-NumPy transcriptions of their
reference implementations (written here, independent of the library), step by step, in float64:

    SGDScheduleFree, AdamWScheduleFree   facebookresearch/schedule_free: schedulefree/{sgd,adamw}_schedulefree.py
    Mechanic                             optimizedlearning/mechanic: src/mechanic_pytorch/mechanic.py
    COCOB                                bremen79/parameterfree: parameterfree/cocob.py
    SPS                                  IssamLaradji/sps: sps/sps.py
    WNGrad                               pytorch/pytorch: caffe2/sgd/wngrad_op.h (Wngrad), caffe2/python/optimizer.py
    L4Adam, L4Mom                        martius-lab/l4-optimizer: L4/L4.py (TensorFlow)

plus the mechanics: step(closure) returns the loss, the loss-based methods refuse to step without a closure,
Schedule-Free's train/eval switch and its checkpoints, bit-identical continuation after load_state_dict, argument
checks, and (slow) training the MNIST MLP at default settings.
"""
import math

import numpy as np
import pytest

import tinygrad_lr as tl
import tinygrad_lr.functional as F
from tinygrad_lr import Tensor, checkpoint, optim

from conftest import shared_data_root

T = 20
RTOL = 1e-10

# ---- the problem: least squares with a weight matrix and a bias, a different minibatch each step -------------
_r = np.random.default_rng(11)
X = _r.standard_normal((48, 4))
Y = X @ _r.standard_normal((4, 3)) + 0.3 * _r.standard_normal((48, 3)) + 0.5
W0 = 0.5 * _r.standard_normal((3, 4))
B0 = 0.1 * _r.standard_normal(3)
BATCHES = [_r.choice(48, 12, replace=False) for _ in range(2 * T)]


def np_loss_grad(ps, t):
    """0.5·mean over the batch of ‖X W^T + b - Y‖², and its gradient (dW, db), in NumPy."""
    idx = BATCHES[t]
    x, y = X[idx], Y[idx]
    res = x @ ps[0].T + ps[1] - y
    n = len(idx)
    return 0.5 * (res ** 2).sum() / n, [res.T @ x / n, res.sum(0) / n]


def lib_loss(ps, t):
    idx = BATCHES[t]
    res = F.linear(Tensor(X[idx]), ps[0], ps[1]) - Tensor(Y[idx])
    return 0.5 * (res * res).sum() / len(idx)


def lib_params():
    return [Tensor(W0.copy(), requires_grad=True), Tensor(B0.copy(), requires_grad=True)]


def run_lib(make, steps=T, start=0, ps=None, opt=None, train=True):
    """Run the library optimizer; return (trajectory of the parameters after each step, losses, ps, opt)."""
    ps = lib_params() if ps is None else ps
    opt = make(ps) if opt is None else opt
    if train and hasattr(opt, "train"):
        opt.train()
    traj, losses = [], []
    for t in range(start, start + steps):
        def closure(t=t):
            opt.zero_grad()
            loss = lib_loss(ps, t)
            loss.backward()
            return loss
        losses.append(opt.step(closure))
        traj.append([p.numpy().copy() for p in ps])
    return traj, losses, ps, opt


def run_ref(step_fn, steps=T):
    """Run a NumPy reference: step_fn(ps, t) updates the list of arrays ps in place."""
    ps = [W0.copy(), B0.copy()]
    traj = []
    for t in range(steps):
        step_fn(ps, t)
        traj.append([p.copy() for p in ps])
    return traj, ps


def assert_traj(lib, ref, rtol=RTOL):
    assert len(lib) == len(ref)
    for t, (a, b) in enumerate(zip(lib, ref)):
        for i, (pa, pb) in enumerate(zip(a, b)):
            assert np.isfinite(pb).all(), f"the reference diverged at step {t + 1}"
            np.testing.assert_allclose(pa, pb, rtol=rtol, atol=1e-13, err_msg=f"step {t + 1}, parameter {i}")


# ---- NumPy transcriptions of the references ------------------------------------------------------------------
def torch_lerp(start, end, weight):
    """torch.lerp's formula: start + w·(end - start) for |w| < 0.5, else end - (end - start)·(1 - w)."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


class RefScheduleFree:
    """schedulefree.SGDScheduleFree / AdamWScheduleFree (the non-foreach loop), one param group."""

    def __init__(self, adam, lr, beta, weight_decay=0, warmup_steps=0, r=0.0, weight_lr_power=2.0, beta2=0.999,
                 eps=1e-8, inner_momentum=0.0):
        self.adam, self.lr, self.beta, self.wd, self.warmup = adam, lr, beta, weight_decay, warmup_steps
        self.r, self.wlp, self.beta2, self.eps, self.mu = r, weight_lr_power, beta2, eps, inner_momentum
        self.k, self.weight_sum, self.lr_max, self.train_mode, self.state = 0, 0.0, -1.0, False, None

    def train(self, ps):
        if not self.train_mode:
            if self.state is not None:
                for p, z in zip(ps, self.state["z"]):
                    p[...] = torch_lerp(p, z, 1 - self.beta)
            self.train_mode = True

    def eval(self, ps):
        if self.train_mode:
            if self.state is not None:
                for p, z in zip(ps, self.state["z"]):
                    p[...] = torch_lerp(p, z, 1 - 1 / self.beta)
            self.train_mode = False

    def step(self, ps, t):
        assert self.train_mode
        _, grads = np_loss_grad(ps, t)
        k = self.k
        sched = (k + 1) / self.warmup if k < self.warmup else 1.0
        lr = self.lr * sched
        self.lr_max = max(lr, self.lr_max)
        weight = ((k + 1) ** self.r) * (self.lr_max ** self.wlp)
        self.weight_sum = self.weight_sum + weight
        try:
            ckp1 = weight / self.weight_sum
        except ZeroDivisionError:
            ckp1 = 0
        if self.state is None:
            self.state = {"z": [p.copy() for p in ps], "v": [np.zeros_like(p) for p in ps],
                          "m": [np.zeros_like(p) for p in ps]}
        for i, (y, grad) in enumerate(zip(ps, grads)):
            z = self.state["z"][i]
            if self.adam:
                v = self.state["v"][i]
                v *= self.beta2
                v += (1 - self.beta2) * grad * grad
                denom = np.sqrt(v / (1 - self.beta2 ** (k + 1))) + self.eps
                if self.mu != 0:
                    m = self.state["m"][i]
                    m *= self.mu
                    m += (1 - self.mu) * grad
                    gn = m / (1 - self.mu ** (k + 1)) / denom
                else:
                    gn = grad / denom
                if self.wd != 0:
                    gn = gn + self.wd * y
            else:
                gn = grad + self.wd * y if self.wd != 0 else grad
            y[...] = torch_lerp(y, z, ckp1)
            y += gn * (self.lr * sched * (self.beta * (1 - ckp1) - 1))
            z -= lr * gn
        self.k = k + 1


def ref_cocob(alpha=100, eps=1e-8, weight_decay=0, lr=1.0):
    st = {}

    def step(ps, t):
        _, grads = np_loss_grad(ps, t)
        for i, (p, grad) in enumerate(zip(ps, grads)):
            if i not in st:
                st[i] = dict(sng=np.zeros_like(p), gns=np.zeros_like(p), L=eps * np.ones_like(p),
                             reward=np.zeros_like(p), x0=p.copy())
            s = st[i]
            if weight_decay != 0:
                grad = grad + weight_decay * p
            grad = grad * lr
            s["L"] = np.maximum(s["L"], np.abs(grad))
            s["sng"] -= grad
            s["gns"] += np.abs(grad)
            s["reward"] += -grad * (p - s["x0"])
            s["reward"] = np.maximum(s["reward"], 0)
            den = np.maximum(s["gns"] + s["L"], s["L"] * alpha) * s["L"]
            p[...] = (s["reward"] + s["L"]) * s["sng"] / den + s["x0"]
    return step


def ref_sps(n_batches_per_epoch=500, init_step_size=1, c=0.5, gamma=2.0, eta_max=None, adapt_flag="smooth_iter",
            eps=1e-8, centralize_grad_norm=False, centralize_grad=False):
    st = {"step_size": init_step_size}

    def step(ps, t):
        loss, grads = np_loss_grad(ps, t)
        if centralize_grad or centralize_grad_norm:  # in place on p.grad in the reference, for ndim > 1
            grads = [g - g.mean(axis=tuple(range(1, g.ndim)), keepdims=True) if g.ndim > 1 else g for g in grads]
        grad_norm = math.sqrt(sum((g * g).sum() for g in grads))
        if grad_norm < 1e-8:
            step_size = 0.0
        else:
            if adapt_flag == "constant":
                step_size = loss / (c * grad_norm ** 2 + eps)
                if loss < 0:
                    step_size = 0.0
                elif eta_max is not None:
                    step_size = min(eta_max, step_size)
            else:
                step_size = loss / (c * grad_norm ** 2 + eps)
                coeff = gamma ** (1.0 / n_batches_per_epoch)
                step_size = min(coeff * st["step_size"], step_size)
            for p, g in zip(ps, grads):
                p -= step_size * g
        st["step_size"] = step_size
    return step


def ref_wngrad(lr=1.0, moment_init=100.0, epsilon=1e-9):
    b = {}

    def step(ps, t):
        _, grads = np_loss_grad(ps, t)
        for i, (p, g) in enumerate(zip(ps, grads)):
            h = b.setdefault(i, moment_init)
            p[...] = p - lr * g / (h + epsilon)
            b[i] = h + (g * g).sum() / (h + epsilon)
    return step


def ref_l4(direction, fraction=0.15, minloss_factor=0.9, init_factor=0.75, minloss_forget_time=1000.0,
           epsilon=1e-12, direction_params=None):
    dp = dict(direction_params or {})
    st = {"global_step": 0, "min_loss": 0.0, "ema": {}}

    def ema(key, value, tau):  # tf.train.ExponentialMovingAverage, shadow of a tensor starts at 0, no debias
        decay = 1.0 - 1.0 / tau
        s = st["ema"].get(key, np.zeros_like(value))
        s = s - (s - value) * (1.0 - decay)
        st["ema"][key] = s
        return s

    def time_factor(tau):
        return 1.0 - math.exp((1 + st["global_step"]) * math.log(1.0 - 1.0 / tau))

    def step(ps, t):
        loss, grads = np_loss_grad(ps, t)
        st["min_loss"] = init_factor * loss if st["global_step"] == 0 else min(st["min_loss"], loss)
        if direction == "adam":
            tg, tv, e = dp.get("time_scale_grad", 10.0), dp.get("time_scale_var", 1000.0), dp.get("epsilon", 1e-4)
            avg_g = [ema(("dg", i), g, tg) / time_factor(tg) for i, g in enumerate(grads)]
            avg_v = [ema(("dv", i), g * g, tv) / time_factor(tv) for i, g in enumerate(grads)]
            dirs = [a / (np.sqrt(v) + e) for a, v in zip(avg_g, avg_v)]
        else:
            tm = dp.get("time_momentum", 10.0)
            dirs = [ema(("dm", i), g, tm) / time_factor(tm) for i, g in enumerate(grads)]
        ders = [ema(("der", i), g, 10.0) / time_factor(10.0) for i, g in enumerate(grads)]
        inner = sum((d * e).sum() for d, e in zip(dirs, ders))
        l_rate = fraction * (loss - minloss_factor * st["min_loss"]) / (inner + epsilon)
        for p, d in zip(ps, dirs):
            p -= 1.0 * (d * l_rate)
        st["min_loss"] = (1.0 + 1.0 / minloss_forget_time) * st["min_loss"]
        st["global_step"] += 1
    return step


def np_sgd(lr, momentum=0.0, weight_decay=0.0):
    """torch.optim.SGD (dampening 0), as a base step (ps, grads) -> ps changed in place."""
    bufs = {}

    def step(ps, grads):
        for i, (p, g) in enumerate(zip(ps, grads)):
            d = g + weight_decay * p if weight_decay else g
            if momentum:
                bufs[i] = d.copy() if i not in bufs else momentum * bufs[i] + d
                d = bufs[i]
            p -= lr * d
    return step


def np_adam(lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """torch.optim.Adam (L2 weight decay), as a base step."""
    st = {"t": 0, "m": {}, "v": {}}

    def step(ps, grads):
        st["t"] += 1
        t = st["t"]
        for i, (p, g) in enumerate(zip(ps, grads)):
            g = g + weight_decay * p if weight_decay else g
            m = st["m"][i] = betas[0] * st["m"].get(i, 0.0) + (1 - betas[0]) * g
            v = st["v"][i] = betas[1] * st["v"].get(i, 0.0) + (1 - betas[1]) * g * g
            p -= lr / (1 - betas[0] ** t) * m / (np.sqrt(v) / math.sqrt(1 - betas[1] ** t) + eps)
    return step


def ref_mechanic(base_step, s_decay=0.01, betas=(0.9, 0.99, 0.999, 0.9999, 0.99999, 0.999999), s_init=1e-8,
                 eps=1e-8, store_delta=False):
    """mechanic_pytorch's _step around a base step, one param group, the tuner state in float64."""
    n, B = len(betas), np.array(betas)
    ms = {}

    def step(ps, t):
        _, grads = np_loss_grad(ps, t)
        grads = [g.copy() for g in grads]
        updates = [p.copy() for p in ps]
        base_step(ps, grads)
        if not ms:
            ms.update(s=np.zeros(n), ssp=np.zeros(n), reward=np.zeros(n), maxp=np.full(n, 1e-6),
                      ref=[u.copy() for u in updates], delta=[np.zeros_like(p) for p in ps])
        deltas, global_norm, grad_norm = [], 0.0, 0.0
        for i, p in enumerate(ps):
            if store_delta:
                deltas.append(ms["delta"][i])
            else:
                deltas.append((updates[i] - ms["ref"][i]) / (ms["s"].sum() + eps))
            updates[i] = p - updates[i]
            global_norm += p.ravel() @ p.ravel()
            grad_norm += grads[i].ravel() @ grads[i].ravel()
        global_norm, grad_norm = math.sqrt(global_norm), math.sqrt(grad_norm)
        ip = 0.0
        for i, p in enumerate(ps):
            decay = s_decay * p.ravel() * ms["s"].sum() * grad_norm / (global_norm + eps)
            ip += deltas[i].ravel() @ (grads[i].ravel() + decay.ravel())
            deltas[i] += updates[i]  # in place: the stored delta when store_delta
        ms["maxp"] = np.maximum(B * ms["maxp"], abs(ip))
        ms["ssp"] = ms["ssp"] * B ** 2 + ip ** 2
        ms["reward"] = np.maximum(ms["reward"] * B - ms["s"] * ip, 0)
        wealth = ms["maxp"] * s_init / n + ms["reward"]
        ms["s"] = wealth / (np.sqrt(ms["ssp"]) + eps)
        for i, p in enumerate(ps):
            p[...] = ms["ref"][i] + deltas[i] * max(ms["s"].sum(), 0.0)
    return step


# ---- step by step against the references ---------------------------------------------------------------------
SF_CASES = {
    "sgd-default": (lambda p: optim.SGDScheduleFree(p), dict(adam=False, lr=1.0, beta=0.9)),
    "sgd-custom": (lambda p: optim.SGDScheduleFree(p, lr=0.5, momentum=0.8, weight_decay=1e-2, warmup_steps=5, r=0.5,
                                                   weight_lr_power=1.0),
                   dict(adam=False, lr=0.5, beta=0.8, weight_decay=1e-2, warmup_steps=5, r=0.5, weight_lr_power=1.0)),
    "adamw-default": (lambda p: optim.AdamWScheduleFree(p), dict(adam=True, lr=0.0025, beta=0.9)),
    "adamw-custom": (lambda p: optim.AdamWScheduleFree(p, lr=0.05, betas=(0.95, 0.99), eps=1e-6, weight_decay=0.1,
                                                       warmup_steps=4, r=1.0, weight_lr_power=1.5),
                     dict(adam=True, lr=0.05, beta=0.95, beta2=0.99, eps=1e-6, weight_decay=0.1, warmup_steps=4,
                          r=1.0, weight_lr_power=1.5)),
    "adamw-inner-momentum": (lambda p: optim.AdamWScheduleFree(p, lr=0.02, inner_momentum=0.9, warmup_steps=3),
                             dict(adam=True, lr=0.02, beta=0.9, inner_momentum=0.9, warmup_steps=3)),
}


@pytest.mark.parametrize("case", list(SF_CASES))
def test_schedule_free_matches_reference(case):
    make, kw = SF_CASES[case]
    lib, _, ps, opt = run_lib(make)
    ref = RefScheduleFree(**kw)
    rp = [W0.copy(), B0.copy()]
    ref.train(rp)
    rtraj = []
    for t in range(T):
        ref.step(rp, t)
        rtraj.append([p.copy() for p in rp])
    assert_traj(lib, rtraj)
    # eval(): the parameters become x, as the reference's lerp with weight 1 - 1/β; train(): back to y
    opt.eval()
    ref.eval(rp)
    assert_traj([[p.numpy() for p in ps]], [rp])
    assert not opt.param_groups[0]["train_mode"]
    opt.train()
    ref.train(rp)
    assert_traj([[p.numpy() for p in ps]], [rp])


def test_schedule_free_x_is_the_weighted_average_of_z():
    # with r = 0, weight_lr_power = 0 and no warmup, c_t = 1/t: x is the plain average of the z after each step
    ps = lib_params()
    opt = optim.SGDScheduleFree(ps, lr=0.1, weight_lr_power=0).train()
    zs = []
    for t in range(T):
        opt.zero_grad()
        lib_loss(ps, t).backward()
        opt.step()
        zs.append([opt.state[p]["z"].numpy().copy() for p in ps])
    opt.eval()
    for i, p in enumerate(ps):
        np.testing.assert_allclose(p.numpy(), np.mean([z[i] for z in zs], axis=0), rtol=1e-10)


def test_schedule_free_needs_train_mode():
    ps = lib_params()
    opt = optim.SGDScheduleFree(ps)
    lib_loss(ps, 0).backward()
    with pytest.raises(RuntimeError, match="not in train mode"):
        opt.step()
    opt.train().step()
    opt.eval()
    with pytest.raises(RuntimeError, match="not in train mode"):
        opt.step()


@pytest.mark.parametrize("mode", ["eval", "train"])
def test_schedule_free_checkpoint_round_trip(tmp_path, mode):
    make = lambda p: optim.AdamWScheduleFree(p, lr=0.05, weight_decay=0.01, warmup_steps=3)  # noqa: E731
    # uninterrupted: 10 steps, switch to `mode` (and back to train), 10 more steps
    _, _, ps, opt = run_lib(make, steps=10)
    getattr(opt, mode)()
    saved_params = [p.numpy().copy() for p in ps]
    checkpoint.save(tmp_path / "ck.npz", {"params": saved_params, "optimizer": opt.state_dict()})
    full, _, _, _ = run_lib(make, steps=10, start=10, ps=ps, opt=opt)
    # resumed from the checkpoint into a fresh model and optimizer
    ck = checkpoint.load(tmp_path / "ck.npz")
    qs = lib_params()
    for q, a in zip(qs, ck["params"]):
        q.data = np.array(a)
    opt2 = make(qs)
    opt2.load_state_dict(ck["optimizer"])
    assert opt2.param_groups[0]["train_mode"] == (mode == "train")
    resumed, _, _, _ = run_lib(make, steps=10, start=10, ps=qs, opt=opt2)
    for a, b in zip(full, resumed):
        for pa, pb in zip(a, b):
            np.testing.assert_array_equal(pa, pb)
    # in eval mode the checkpoint's parameters are x: the reference's x
    ref = RefScheduleFree(adam=True, lr=0.05, beta=0.9, weight_decay=0.01, warmup_steps=3)
    rp = [W0.copy(), B0.copy()]
    ref.train(rp)
    for t in range(10):
        ref.step(rp, t)
    getattr(ref, mode)(rp)
    assert_traj([saved_params], [rp])


def test_cocob_matches_reference():
    assert_traj(run_lib(lambda p: optim.COCOB(p))[0], run_ref(ref_cocob())[0])
    custom = dict(alpha=10, eps=1e-6, weight_decay=1e-2, lr=0.5)
    assert_traj(run_lib(lambda p: optim.COCOB(p, **custom))[0], run_ref(ref_cocob(**custom))[0])


SPS_CASES = [{}, dict(n_batches_per_epoch=4, init_step_size=0.3, c=0.2, gamma=5.0, eps=1e-6),
             dict(c=0.8, centralize_grad_norm=True), dict(centralize_grad=True, init_step_size=0.5),
             dict(adapt_flag="constant", c=0.4), dict(adapt_flag="constant", eta_max=0.6)]


@pytest.mark.parametrize("kw", SPS_CASES, ids=lambda kw: ",".join(kw) or "default")
def test_sps_matches_reference(kw):
    lib, losses, _, opt = run_lib(lambda p: optim.SPS(p, **kw))
    assert_traj(lib, run_ref(ref_sps(**kw))[0])
    assert all(isinstance(v, float) for v in losses)  # the reference returns float(loss)
    ref_losses = []
    step = ref_sps(**kw)
    rp = [W0.copy(), B0.copy()]
    for t in range(T):
        ref_losses.append(np_loss_grad(rp, t)[0])
        step(rp, t)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-12)
    assert opt.state_dict()["group_state"][0]["step_size"] > 0


def test_sps_zero_gradient_sets_step_size_to_zero():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    opt = optim.SPS([w])

    def closure():
        opt.zero_grad()
        loss = (w * 0.0).sum() + 1.0
        loss.backward()
        return loss
    opt.step(closure)
    np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])
    assert opt.group_state[0]["step_size"].item() == 0.0


def test_wngrad_matches_reference():
    assert_traj(run_lib(lambda p: optim.WNGrad(p))[0], run_ref(ref_wngrad())[0])
    custom = dict(lr=2.0, moment_init=1.0, epsilon=1e-6)
    assert_traj(run_lib(lambda p: optim.WNGrad(p, **custom))[0], run_ref(ref_wngrad(**custom))[0])


L4_CASES = {
    "adam-default": (lambda p: optim.L4Adam(p), lambda: ref_l4("adam")),
    "adam-custom": (lambda p: optim.L4Adam(p, fraction=0.3, minloss_factor=0.8, init_factor=0.5,
                                           minloss_forget_time=50.0, epsilon=1e-10,
                                           adam_params={"time_scale_grad": 5.0, "time_scale_var": 100.0,
                                                        "epsilon": 1e-3}),
                    lambda: ref_l4("adam", fraction=0.3, minloss_factor=0.8, init_factor=0.5, minloss_forget_time=50.0,
                                   epsilon=1e-10, direction_params={"time_scale_grad": 5.0, "time_scale_var": 100.0,
                                                                    "epsilon": 1e-3})),
    "mom-default": (lambda p: optim.L4Mom(p), lambda: ref_l4("momentum")),
    "mom-custom": (lambda p: optim.L4Mom(p, fraction=0.2, init_factor=0.6, mom_params={"time_momentum": 3.0}),
                   lambda: ref_l4("momentum", fraction=0.2, init_factor=0.6,
                                  direction_params={"time_momentum": 3.0})),
}


@pytest.mark.parametrize("case", list(L4_CASES))
def test_l4_matches_reference(case):
    make, ref = L4_CASES[case]
    assert_traj(run_lib(make)[0], run_ref(ref())[0])


MECHANIC_CASES = {
    "sgd-default": (lambda p: optim.Mechanic(optim.SGD(p, lr=0.05)), lambda: ref_mechanic(np_sgd(0.05))),
    "sgd-momentum-store-delta": (
        lambda p: optim.Mechanic(optim.SGD(p, lr=0.02, momentum=0.9, weight_decay=1e-2), s_decay=0.05,
                                 betas=(0.9, 0.999), s_init=1e-4, eps=1e-7, store_delta=True),
        lambda: ref_mechanic(np_sgd(0.02, 0.9, 1e-2), s_decay=0.05, betas=(0.9, 0.999), s_init=1e-4, eps=1e-7,
                             store_delta=True)),
    "adam": (lambda p: optim.Mechanic(optim.Adam(p, lr=0.01, weight_decay=1e-3), s_init=1e-3),
             lambda: ref_mechanic(np_adam(0.01, weight_decay=1e-3), s_init=1e-3)),
}


@pytest.mark.parametrize("case", list(MECHANIC_CASES))
def test_mechanic_matches_reference(case):
    make, ref = MECHANIC_CASES[case]
    lib, _, _, opt = run_lib(make)
    assert_traj(lib, run_ref(ref())[0])
    assert opt.group_state[0]["s"].numpy().sum() > 0


def test_mechanic_shares_param_groups_and_wraps_a_stepped_instance():
    ps = lib_params()
    base = optim.SGD(ps, lr=0.05)
    lib_loss(ps, 0).backward()
    base.step()
    mech = optim.Mechanic(base)
    assert mech.param_groups is base.param_groups
    mech.param_groups[0]["lr"] = 0.01
    assert base.param_groups[0]["lr"] == 0.01
    mech.zero_grad()
    lib_loss(ps, 1).backward()
    mech.step()  # the reference point is where Mechanic took over
    assert all(np.isfinite(p.numpy()).all() for p in ps)
    with pytest.raises(ValueError, match="DiagonalNewton"):
        optim.Mechanic(optim.DiagonalNewton(lib_params()))


# ---- mechanics -------------------------------------------------------------------------------------------------
ALL = {
    "SGDScheduleFree": lambda p: optim.SGDScheduleFree(p, lr=0.3, warmup_steps=3),
    "AdamWScheduleFree": lambda p: optim.AdamWScheduleFree(p, lr=0.03, weight_decay=0.01, inner_momentum=0.5),
    "Mechanic": lambda p: optim.Mechanic(optim.Adam(p, lr=0.01), store_delta=True),
    "Mechanic-SPS": lambda p: optim.Mechanic(optim.SPS(p)),
    "COCOB": lambda p: optim.COCOB(p, weight_decay=1e-3),
    "SPS": lambda p: optim.SPS(p, n_batches_per_epoch=5),
    "WNGrad": lambda p: optim.WNGrad(p, moment_init=2.0),
    "L4Adam": lambda p: optim.L4Adam(p),
    "L4Mom": lambda p: optim.L4Mom(p),
}


@pytest.mark.parametrize("name", list(ALL))
def test_state_dict_mid_run_continues_bit_identically(tmp_path, name):
    full, losses, _, _ = run_lib(ALL[name])
    _, _, ps, opt = run_lib(ALL[name], steps=10)
    checkpoint.save(tmp_path / "ck.npz", {"params": [p.numpy() for p in ps], "optimizer": opt.state_dict()})
    ck = checkpoint.load(tmp_path / "ck.npz")
    qs = lib_params()
    for q, a in zip(qs, ck["params"]):
        q.data = np.array(a)
    opt2 = ALL[name](qs)
    opt2.load_state_dict(ck["optimizer"])
    rest, _, _, _ = run_lib(None, steps=10, start=10, ps=qs, opt=opt2, train=False)
    for a, b in zip(full[10:], rest):
        for pa, pb in zip(a, b):
            np.testing.assert_array_equal(pa, pb)
    assert all(np.isfinite(p).all() for p in full[-1])


@pytest.mark.parametrize("name", list(ALL))
def test_step_closure_returns_the_loss(name):
    ps = lib_params()
    opt = ALL[name](ps)
    if hasattr(opt, "train"):
        opt.train()
    seen = []

    def closure():
        opt.zero_grad()
        loss = lib_loss(ps, 0)
        loss.backward()
        seen.append(loss.item())
        return loss
    out = opt.step(closure)
    assert len(seen) == 1
    assert (out if isinstance(out, float) else out.item()) == seen[0]


@pytest.mark.parametrize("make", [optim.SPS, optim.L4Adam, optim.L4Mom,
                                  lambda p: optim.Mechanic(optim.SPS(p))])
def test_loss_based_methods_need_a_closure(make):
    ps = lib_params()
    opt = make(ps)
    lib_loss(ps, 0).backward()
    before = [p.numpy().copy() for p in ps]
    with pytest.raises(ValueError, match=r"uses the loss value: call step\(closure\)"):
        opt.step()
    for p, b in zip(ps, before):
        np.testing.assert_array_equal(p.numpy(), b)


@pytest.mark.parametrize("make, match", [
    (lambda p: optim.SGDScheduleFree(p, momentum=1.0), "1.0"),
    (lambda p: optim.SGDScheduleFree(p, lr=-0.1), "-0.1"),
    (lambda p: optim.SGDScheduleFree(p, weight_decay=-1e-3), "-0.001"),
    (lambda p: optim.SGDScheduleFree(p, warmup_steps=-2), "-2"),
    (lambda p: optim.SGDScheduleFree(p, warmup_steps=2.5), "2.5"),
    (lambda p: optim.AdamWScheduleFree(p, betas=(0.9, 1.5)), "1.5"),
    (lambda p: optim.AdamWScheduleFree(p, betas=(0.0, 0.9)), r"betas\[0\]: 0.0"),
    (lambda p: optim.AdamWScheduleFree(p, eps=-1.0), "-1.0"),
    (lambda p: optim.AdamWScheduleFree(p, inner_momentum=1.0), "inner_momentum: 1.0"),
    (lambda p: optim.Mechanic(optim.SGD(p), s_decay=-0.5), "-0.5"),
    (lambda p: optim.Mechanic(optim.SGD(p), betas=(0.9, 1.2)), "1.2"),
    (lambda p: optim.Mechanic(optim.SGD(p), betas=()), "betas"),
    (lambda p: optim.Mechanic(optim.SGD(p), s_init=-1.0), "-1.0"),
    (lambda p: optim.COCOB(p, alpha=-100), "-100"),
    (lambda p: optim.COCOB(p, eps=-1e-8), "-1e-08"),
    (lambda p: optim.SPS(p, c=0), "c: 0"),
    (lambda p: optim.SPS(p, n_batches_per_epoch=-5), "-5"),
    (lambda p: optim.SPS(p, gamma=0.0), "gamma: 0.0"),
    (lambda p: optim.SPS(p, eta_max=-1.0), "-1.0"),
    (lambda p: optim.SPS(p, adapt_flag="linear"), "linear"),
    (lambda p: optim.SPS(p, fstar_flag=True), "fstar_flag=True"),
    (lambda p: optim.SPS(p, centralize_grad=True, centralize_grad_norm=True), "centralize_grad"),
    (lambda p: optim.WNGrad(p, moment_init=0.0), "moment_init: 0.0"),
    (lambda p: optim.WNGrad(p, epsilon=-1.0), "-1.0"),
    (lambda p: optim.L4Adam(p, fraction=-0.1), "-0.1"),
    (lambda p: optim.L4Adam(p, minloss_forget_time=0), "minloss_forget_time: 0"),
    (lambda p: optim.L4Adam(p, adam_params={"beta": 0.9}), "beta"),
    (lambda p: optim.L4Mom(p, mom_params={"time_momentum": 0.5}), "0.5"),
])
def test_bad_arguments_raise_value_errors_naming_the_value(make, match):
    with pytest.raises(ValueError, match=match):
        make(lib_params())


def test_mechanic_rejects_non_optimizers():
    with pytest.raises(TypeError, match="list"):
        optim.Mechanic([1, 2])


# ---- differentiable where it is: an RT-HPO tangent through Schedule-Free and COCOB matches finite differences --
@pytest.mark.parametrize("make", [lambda p: optim.SGDScheduleFree(p, lr=0.2, warmup_steps=2),
                                  lambda p: optim.COCOB(p, lr=0.7), lambda p: optim.WNGrad(p, lr=0.5, moment_init=3.0),
                                  lambda p: optim.Mechanic(optim.SGD(p, lr=0.05))])
def test_rthpo_tangent_matches_finite_differences(make):
    from tinygrad_lr import hyper
    steps = 8

    def final(eta):
        ps = lib_params()
        opt = make(ps)
        for g in opt.param_groups:
            g["lr"] = eta
        run_lib(None, steps=steps, ps=ps, opt=opt)
        return np.concatenate([p.numpy().ravel() for p in ps])
    ps = lib_params()
    opt = make(ps)
    if hasattr(opt, "train"):
        opt.train()
    eta = opt.param_groups[0]["lr"]
    h = hyper.RTHPO(opt, hyper_lr=0.0)
    for t in range(steps):
        h.step(lambda t=t: lib_loss(ps, t))
    z = np.concatenate([h.z[0][(i, None)].numpy().ravel() for i in range(len(ps))])
    e = 1e-6 * eta
    fd = (final(eta + e) - final(eta - e)) / (2 * e)
    np.testing.assert_allclose(z, fd, rtol=1e-5, atol=1e-7)


# ---- slow: each trains the MNIST MLP at its default settings ---------------------------------------------------
SLOW = {
    "SGDScheduleFree": lambda p: optim.SGDScheduleFree(p),
    "AdamWScheduleFree": lambda p: optim.AdamWScheduleFree(p),
    "Mechanic(SGD)": lambda p: optim.Mechanic(optim.SGD(p, lr=0.01)),
    "Mechanic(AdamW)": lambda p: optim.Mechanic(optim.AdamW(p, lr=1e-3)),
    "COCOB": lambda p: optim.COCOB(p),
    "SPS": lambda p: optim.SPS(p),
    "WNGrad": lambda p: optim.WNGrad(p),
    "L4Adam": lambda p: optim.L4Adam(p),
    "L4Mom": lambda p: optim.L4Mom(p),
}


@pytest.mark.slow
@pytest.mark.skipif(shared_data_root() is None, reason="needs MNIST in ../shared/data")
@pytest.mark.parametrize("name", list(SLOW))
def test_trains_mnist_mlp_at_default_settings(name):
    from tinygrad_lr.datasets import load_mnist
    from tinygrad_lr.models import MLP
    from tinygrad_lr import manual_seed
    root = shared_data_root()
    Xtr, ytr = load_mnist(root, "train", download=False, normalize=True, flatten=True)
    Xte, yte = load_mnist(root, "test", download=False, normalize=True, flatten=True)
    manual_seed(0)
    model = MLP([784, 128, 10])
    opt = SLOW[name](model.parameters())
    if hasattr(opt, "train"):
        opt.train()
    r = np.random.default_rng(0)
    order = r.permutation(len(Xtr))[:12800]
    for i in range(0, len(order), 64):
        idx = order[i:i + 64]
        x, y = Tensor(Xtr[idx]), ytr[idx]

        def closure():
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            return loss
        opt.step(closure)
    if hasattr(opt, "eval"):
        opt.eval()
    model.eval()
    pred = model(Tensor(Xte[:2000])).numpy().argmax(1)
    acc = (pred == yte[:2000]).mean()
    print(f"{name}: test accuracy {acc:.3f}")
    assert acc > 0.8, f"{name}: test accuracy {acc:.3f}"


def test_fit_switches_schedule_free_between_train_and_eval(tmp_path):
    """fit puts a Schedule-Free optimizer in train mode for the steps and in eval mode (the averaged x) for
    validation, checkpoints and the returned model; resuming continues bit for bit."""
    from tinygrad_lr import datasets, nn
    from tinygrad_lr.train import fit

    def run(epochs, resume, folder):
        tl.manual_seed(0)
        rng = np.random.default_rng(0)
        X, y = rng.standard_normal((48, 4)).astype(np.float32), rng.integers(0, 3, 48)
        model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
        opt = optim.SGDScheduleFree(model.parameters(), lr=0.5)
        hist = fit(model, opt, datasets.DataLoader(X, y, batch_size=16, shuffle=True, seed=1), epochs,
                   val_loader=datasets.DataLoader(X, y, batch_size=48), checkpoint_path=tmp_path / folder / "ck.npz",
                   resume=resume, progress=False)
        return model, opt, hist
    m2, o2, h2 = run(2, False, "a")
    assert not o2.param_groups[0]["train_mode"]
    run(1, False, "b")
    m1, o1, h1 = run(2, True, "b")
    for a, b in zip(m2.state_dict().values(), m1.state_dict().values()):
        np.testing.assert_array_equal(a, b)
    assert [h["val_loss"] for h in h1] == [h["val_loss"] for h in h2]


@pytest.mark.parametrize("make, keys", [
    (lambda p: optim.Prodigy(p), {"d", "d_max", "d_numerator"}),
    (lambda p: optim.DAdaptSGD(p), {"d", "numerator_weighted", "g0_norm"}),
    (lambda p: optim.DAdaptAdam(p), {"d"}),
    (lambda p: optim.DoG(p), {"rbar", "G"}),
    (lambda p: optim.DoWG(p), {"rbar", "v"}),
    (lambda p: optim.SGDScheduleFree(p).train(), {"scheduled_lr", "lr_max", "weight_sum"}),
    (lambda p: optim.Mechanic(optim.SGD(p, lr=0.1)), {"s"}),
    (lambda p: optim.WNGrad(p), {"b/0"}),
    (lambda p: optim.SPS(p), {"step_size"}),
    (lambda p: optim.L4Adam(p), {"min_loss"}),
], ids=["prodigy", "dadapt_sgd", "dadapt_adam", "dog", "dowg", "schedulefree", "mechanic", "wngrad", "sps", "l4"])
def test_adapted_reads_what_each_optimizer_adapts(make, keys):
    w = Tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    opt = make([w])
    opt.zero_grad()
    loss = (w * w).sum()
    loss.backward()
    opt.step(lambda: loss)
    a = opt.adapted()
    assert keys <= set(a) and all(isinstance(v, float) and math.isfinite(v) for v in a.values())

"""Learning-rate schedules, as torch.optim.lr_scheduler: each sets group["lr"] on step()."""
import math


class _State:
    """get_last_lr and (load_)state_dict, shared by every scheduler: its attributes minus the optimizer."""

    def get_last_lr(self):
        """The learning rates the last step set, one per param group."""
        return list(self._last_lr)

    def state_dict(self):
        """The scheduler's state (its attributes but the optimizer), for checkpoints."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state):
        """Restore the state that state_dict() returned."""
        self.__dict__.update(state)


class LRScheduler(_State):
    """Base class of the epoch-indexed schedules, as torch.optim.lr_scheduler.LRScheduler: a subclass gives the
    learning rates in closed form (get_lr), step() advances last_epoch and writes them into the param groups.
    The constructor records each group's "initial_lr" (the base rates η0) and takes the first step.

    Args:
        optimizer: the optimizer whose param groups' "lr" it sets.
        last_epoch: the index of the last epoch (-1: start afresh)."""

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = optimizer
        for g in optimizer.param_groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = [g["initial_lr"] for g in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        """The learning rates for epoch self.last_epoch (a closed form of the epoch count)."""
        raise NotImplementedError

    def step(self):
        """Advance one epoch (or batch, for per-batch schedules) and set every group's lr to get_lr()."""
        self.last_epoch += 1
        for g, lr in zip(self.optimizer.param_groups, self.get_lr()):
            g["lr"] = lr
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """η = η0 · γ^⌊epoch / step_size⌋ (γ = gamma); optimizer and last_epoch as LRScheduler's."""
    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [b * self.gamma ** (self.last_epoch // self.step_size) for b in self.base_lrs]


class ExponentialLR(LRScheduler):
    """η = η0 · γ^epoch, γ = gamma (the "exponential decay" baseline of Majumder, Donini & Chaudhari 2019,
    Table 1); optimizer and last_epoch as LRScheduler's."""
    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [b * self.gamma ** self.last_epoch for b in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """η = η_min + (η0 - η_min)·(1 + cos(π·epoch / T_max)) / 2, η_min = eta_min (Loshchilov & Hutter 2017,
    without restarts); optimizer and last_epoch as LRScheduler's."""
    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (b - self.eta_min) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for b in self.base_lrs]


class OneCycleLR(LRScheduler):
    """Smith & Topin (2019), torch's default cosine annealing: warm up from max_lr/div_factor to max_lr over
    pct_start of total_steps, then anneal to max_lr/(div_factor·final_div_factor). Stepped per batch.
    max_lr: a float or one per param group; anneal_strategy: "cos" or "linear"; optimizer and last_epoch as
    LRScheduler's."""
    def __init__(self, optimizer, max_lr, total_steps, pct_start=0.3, div_factor=25.0, final_div_factor=1e4,
                 anneal_strategy="cos", last_epoch=-1):
        n = len(optimizer.param_groups)
        self.max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * n
        self.total_steps, self.pct_start = total_steps, pct_start
        self.div_factor, self.final_div_factor = div_factor, final_div_factor
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        for g, m in zip(optimizer.param_groups, self.max_lrs):
            g["initial_lr"] = m / div_factor
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        t = self.last_epoch
        if t >= self.total_steps:
            raise ValueError(f"OneCycleLR stepped {t + 1} times but total_steps is {self.total_steps}")
        up = float(self.pct_start * self.total_steps) - 1
        out = []
        for m in self.max_lrs:
            lo, end = m / self.div_factor, m / (self.div_factor * self.final_div_factor)
            if t <= up:
                out.append(self._anneal(lo, m, t / up if up > 0 else 1.0))
            else:
                out.append(self._anneal(m, end, (t - up) / (self.total_steps - 1 - up)))
        return out


class CyclicLR(LRScheduler):
    """Smith (2017) triangular cycles between base_lr and max_lr: step_size_up steps up, step_size_down (None:
    as many) down. mode "triangular", "triangular2" (the amplitude halves every cycle) or "exp_range" (scaled by
    gamma^step); optimizer and last_epoch as LRScheduler's. Stepped per batch."""
    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular",
                 gamma=1.0, last_epoch=-1):
        if mode not in ("triangular", "triangular2", "exp_range"):
            raise ValueError(f"unknown CyclicLR mode {mode!r}")
        n = len(optimizer.param_groups)
        self.base, self.max = [base_lr] * n, [max_lr] * n
        for g in optimizer.param_groups:
            g["initial_lr"] = base_lr
        self.up, self.down = step_size_up, step_size_up if step_size_down is None else step_size_down
        self.mode, self.gamma = mode, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, total = self.last_epoch, self.up + self.down
        cycle = 1 + t // total
        x = (t % total)
        frac = x / self.up if x < self.up else 1 - (x - self.up) / self.down
        scale = {"triangular": 1.0, "triangular2": 1 / 2 ** (cycle - 1), "exp_range": self.gamma ** t}[self.mode]
        return [b + (m - b) * frac * scale for b, m in zip(self.base, self.max)]


class TrapezoidLR(LRScheduler):
    """Trapezoid schedule (a baseline of Wójcik, Maziarka & Tabor 2019, LOSSGRAD, arXiv:1902.07656): linear
    warm-up from 0 over `warmup` steps, constant η0, then a linear decay to 0 over the last `cooldown` of
    `total_steps` (warmup and cooldown as fractions of total_steps when floats, step counts when ints);
    optimizer and last_epoch as LRScheduler's."""
    def __init__(self, optimizer, total_steps, warmup=0.1, cooldown=0.1, last_epoch=-1):
        self.total_steps = total_steps
        self.warm = int(round(warmup * total_steps)) if isinstance(warmup, float) else warmup
        self.cool = int(round(cooldown * total_steps)) if isinstance(cooldown, float) else cooldown
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        if self.warm and t < self.warm:
            f = (t + 1) / self.warm
        elif self.cool and t >= self.total_steps - self.cool:
            f = max(0.0, (self.total_steps - t) / self.cool)
        else:
            f = 1.0
        return [b * f for b in self.base_lrs]


class ReduceLROnPlateau(_State):
    """Annealing when the error plateaus (the "annealing" of Nan Ye's lecture "Adaptive learning rates"):
    multiply η by `factor` after `patience` epochs without
    improvement of the monitored metric (mode "min" or "max", relative threshold), down to min_lr, then wait
    `cooldown` epochs before counting again. optimizer: the optimizer whose param groups' "lr" it sets. Call
    step(metric) once per epoch."""
    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, cooldown=0, min_lr=0.0):
        if factor >= 1.0:
            raise ValueError(f"factor must be < 1, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.optimizer, self.mode, self.factor, self.patience = optimizer, mode, factor, patience
        self.threshold, self.cooldown, self.min_lr = threshold, cooldown, min_lr
        self.best, self.bad_epochs, self.cooldown_counter, self.last_epoch = None, 0, 0, 0
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def _better(self, a, best):
        if best is None:
            return True
        return a < best * (1 - self.threshold) if self.mode == "min" else a > best * (1 + self.threshold)

    def step(self, metric):
        """Record one epoch's value of the monitored metric (a number) and reduce the lr if it has plateaued."""
        metric = float(metric)
        self.last_epoch += 1
        if self._better(metric, self.best):
            self.best, self.bad_epochs = metric, 0
        else:
            self.bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.bad_epochs = 0
        if self.bad_epochs > self.patience:
            for g in self.optimizer.param_groups:
                g["lr"] = max(g["lr"] * self.factor, self.min_lr)
            self.cooldown_counter, self.bad_epochs = self.cooldown, 0
        self._last_lr = [g["lr"] for g in self.optimizer.param_groups]

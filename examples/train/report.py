"""`tinygrad-lr train`'s report: metrics.json (the options, the history, the test metrics, the learning rate of
every step for a learning-rate method) and history.csv."""
import os

from tinygrad_lr.hyper.base import LRMethod

from ..common.files import write_csv, write_json


def write(out, args, stepper, hist, test):
    """metrics.json and history.csv under `out`; returns what metrics.json holds."""
    res = {"config": {k: v for k, v in vars(args).items() if k != "func"}, "history": hist,
           "test": test, "lr_history": stepper.history if isinstance(stepper, LRMethod) else None}
    write_json(os.path.join(out, "metrics.json"), res)
    write_csv(os.path.join(out, "history.csv"), [{k: v for k, v in h.items() if not isinstance(v, list)}
                                                  for h in hist])
    return res

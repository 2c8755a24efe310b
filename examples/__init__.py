"""The studies built on tinygrad_lr, installed as tinygrad_lr.examples (the repository keeps them in examples/;
setup.cfg maps the folder). The library never imports them; the command line (tinygrad_lr.cli) dispatches to them.

One package per experiment of the source documents, each split by concern: config (the settings, the source's
hyper-parameters, the command-line options), compute (the runs), report / verdicts, figures.
- beale: Fischer (2020), "An adaptive learning rate method for gradient descent algorithms": the "+" methods on
  Beale's function (`tinygrad-lr beale`).
- rmsprop_example: the RMSProp-style worked example of the blog series "Introduction to neural network
  optimizers, part 2" (`tinygrad-lr rmsprop-example`).
- sweep: the (η̄, β, seed) grid of Table 1 of Majumder, Donini & Chaudhari (2019), "Learning the learning rate
  for gradient descent by gradient descent", and LOSSGRAD's sensitivity to η (Wójcik, Maziarka & Tabor 2019,
  "LOSSGRAD: automatic learning rate in gradient descent", arXiv:1902.07656) (`tinygrad-lr sweep`).
- train: any model × dataset × optimizer × learning-rate method (`tinygrad-lr train`).
- train_models: the README's results on real data; demo: what `make demo` runs.
- common: what they share (files, the method factory, MNIST with a validation split, figures).

Inside this package the examples import each other relatively and the zoo and data as tinygrad_lr.models and
tinygrad_lr.datasets, so `python -m tinygrad_lr.examples.<name>` behaves the same from a checkout and an install.
"""

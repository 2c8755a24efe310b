"""What the examples share: output folders and JSON/CSV (files), the learning-rate method factory (methods), MNIST
with a validation split (data), matplotlib and palette PNGs (figures),
grids of independent runs on local processes or a Dask cluster, resumable (runner)."""

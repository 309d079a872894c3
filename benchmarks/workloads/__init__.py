"""One benchmark workload per file, written once against the PyTorch API.

A workload module has a one-paragraph docstring (the harness prints its first line)
and a function `setup(torch, **params)`: it receives the framework module (`spindle`
or `torch`), builds data and weights, and returns `step`, a function of no arguments
that runs one training step (or one op, for the overhead workloads). A module may
also define `VARIANTS`, a list of keyword dicts for `setup`; each is benchmarked as
its own row. Adding a workload is adding a file here.
"""

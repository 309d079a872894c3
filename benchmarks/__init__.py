"""Reference workloads, run in Spindle and in PyTorch side by side: `python -m benchmarks.run`."""

"""Run the benchmark workloads in Spindle and in PyTorch and print a Markdown table.

    python -m benchmarks.run [names...] [--repeat N] [--min-time SECONDS] [--clock cpu]

Each workload in benchmarks/workloads/ is set up in both frameworks in this one
process. A timing runs a step in a loop long enough to last about --min-time seconds
(which also warms both up) and divides; the two frameworks take turns, timing after
timing, so that noise on the machine hits both alike. The table reports the median of
--repeat timings per step and the ratio spindle/torch (above 1: Spindle is slower).
A workload that raises gets a row saying so, and the run exits with status 1.

`--clock cpu` times the process's CPU time instead of wall time: on a machine shared
with other jobs it leaves out the time this process waits for a core. It equals the
step's wall time only when the work runs on one thread, so use it with
OMP_NUM_THREADS=1.
"""
import argparse
import datetime
import importlib
import os
import pkgutil
import platform
import statistics
import sys
import time
import traceback

import numpy as np
import torch

import spindle
from benchmarks import workloads

FRAMEWORKS = {"spindle": spindle, "torch": torch}
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def workload_names():
    """Names of all workload modules in benchmarks/workloads/, sorted."""
    return sorted(module.name for module in pkgutil.iter_modules(workloads.__path__))


def benchmark_cases(name):
    """(label, module, params) for each variant of workload `name`."""
    module = importlib.import_module(f"{workloads.__name__}.{name}")
    for params in getattr(module, "VARIANTS", [{}]):
        arguments = ", ".join(f"{key}={value}" for key, value in params.items())
        yield (f"{name}({arguments})" if arguments else name), module, params


def loops_for(step, min_time, clock):
    """How many calls of `step` take at least `min_time` seconds (doubling, from 1)."""
    loops = 1
    while True:
        start = clock()
        for _ in range(loops):
            step()
        if clock() - start >= min_time:
            return loops
        loops *= 2


def median_step_times(steps, repeat, min_time, clock):
    """Median seconds per call of each step in `steps` (framework name -> step)."""
    loops = {name: loops_for(step, min_time, clock) for name, step in steps.items()}
    timings = {name: [] for name in steps}
    for _ in range(repeat):
        for name, step in steps.items():
            start = clock()
            for _ in range(loops[name]):
                step()
            timings[name].append((clock() - start) / loops[name])
    return {name: statistics.median(times) for name, times in timings.items()}


def table_row(module, params, repeat, min_time, clock):
    """The Markdown cells after the label: both times and their ratio."""
    steps = {}
    for framework_name, framework in FRAMEWORKS.items():
        framework.manual_seed(0)
        steps[framework_name] = module.setup(framework, **params)
    times = median_step_times(steps, repeat, min_time, clock)
    return (
        f"{format_duration(times['spindle'])} | {format_duration(times['torch'])} | "
        f"{times['spindle'] / times['torch']:.2f}"
    )


def format_duration(seconds):
    """'1.23 s', '12.3 ms' or '4.56 µs', whichever puts 1 to 999 before the unit."""
    for unit, scale in (("s", 1), ("ms", 1e-3)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e6:.3g} µs"


def machine_description():
    """One line naming the CPU, core count and library versions."""
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"NumPy {np.__version__}, PyTorch {torch.__version__}, "
        f"torch threads {torch.get_num_threads()}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="workloads to run (default: all)")
    parser.add_argument("--repeat", type=int, default=7, help="timings per framework")
    parser.add_argument(
        "--min-time", type=float, default=0.2, help="seconds one timing lasts at least"
    )
    parser.add_argument(
        "--clock", choices=CLOCKS, default="wall", help="wall time, or process CPU time"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(workload_names()))
    if unknown:
        parser.error(f"unknown workloads {unknown}; known: {workload_names()}")

    # NumPy's OpenBLAS runs OMP_NUM_THREADS threads, or one per core; PyTorch gets the same.
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count()))
    print(f"{datetime.date.today()}: {machine_description()}; {args.clock} clock\n")
    print("| workload | spindle | torch | spindle/torch |")
    print("| --- | ---: | ---: | ---: |")
    failed = False
    for name in args.names or workload_names():
        for label, module, params in benchmark_cases(name):
            try:
                cells = table_row(module, params, args.repeat, args.min_time, CLOCKS[args.clock])
            except Exception as error:  # report it and go on with the other workloads
                traceback.print_exc()
                cells = f"failed: {type(error).__name__} | - | -"
                failed = True
            print(f"| {label} | {cells} |", flush=True)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()

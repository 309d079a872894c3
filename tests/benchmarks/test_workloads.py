"""Every benchmark workload runs in Spindle and in PyTorch, and the harness prints its table."""
import pytest
import torch

import spindle
from benchmarks import run


CASES = [
    pytest.param(module, params, id=label)
    for name in run.workload_names()
    for label, module, params in run.benchmark_cases(name)
]


@pytest.mark.parametrize("module, params", CASES)
@pytest.mark.parametrize("framework", [spindle, torch], ids=["spindle", "torch"])
def test_workload_steps(framework, module, params):
    step = module.setup(framework, **params)
    step()
    step()


def test_harness_prints_one_row_per_case(capsys):
    threads = torch.get_num_threads()
    try:
        run.main(["op_overhead_add", "--repeat", "1", "--min-time", "0"])
    finally:
        torch.set_num_threads(threads)  # the harness sets it for the whole process
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "| workload | spindle | torch | spindle/torch |"
    rows = [line.split(" | ") for line in lines[4:]]
    assert [row[0] for row in rows] == [
        "| op_overhead_add(requires_grad=False)",
        "| op_overhead_add(requires_grad=True)",
    ]
    for row in rows:
        assert row[1].endswith("s") and row[2].endswith("s")
        assert float(row[3].rstrip(" |")) > 0


def test_harness_rejects_unknown_workload():
    with pytest.raises(SystemExit):
        run.main(["no_such_workload"])


@pytest.mark.parametrize(
    "seconds, text",
    [(2.5, "2.5 s"), (0.0123, "12.3 ms"), (0.001, "1 ms"), (4.56e-6, "4.56 µs")],
)
def test_durations_are_printed_in_the_unit_that_fits(seconds, text):
    assert run.format_duration(seconds) == text

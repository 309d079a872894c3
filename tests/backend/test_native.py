"""``spindle.backend.native``: C kernels compiled on first use, cached on disk, and the fallback.

* Where the CPU has AVX2 and FMA and a C compiler is installed, the convolution kernels load (so the
  kernel tests of ``test_cpu_convolution.py`` run there instead of being skipped), with the best
  instruction set the CPU has; ``SPINDLE_CONVOLUTION_ISA=avx2`` picks the AVX2 kernels instead, and
  a value the CPU cannot run warns and keeps the best.
* A compiler that is missing or fails: ``library`` returns None with one RuntimeWarning naming the
  library, leaves no file behind, and ``F.conv2d`` still computes PyTorch's values and gradients.
* The compiled library lands in ``$SPINDLE_HOME/kernels/<name>-<hash>.so``, alone (no temporary
  left), also when several processes compile it at once; later processes load it without compiling.
* ``SPINDLE_NATIVE_KERNELS=0`` turns the kernels off: nothing is compiled and nothing calls them.

Each scenario runs in a fresh interpreter (``library`` is cached per process) with its own
``SPINDLE_HOME``.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from spindle.backend import cpu_convolution, native

REPOSITORY = Path(__file__).resolve().parents[2]


def environment(home, **variables):
    """This process's environment for a child interpreter: ``SPINDLE_HOME`` at ``home``, the default
    compiler, kernels and instruction set unless ``variables`` say otherwise, one BLAS thread."""
    chosen = ("CC", "SPINDLE_NATIVE_KERNELS", "SPINDLE_CONVOLUTION_ISA")
    inherited = {name: value for name, value in os.environ.items() if name not in chosen}
    path = os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")]))
    return dict(inherited, SPINDLE_HOME=str(home), OMP_NUM_THREADS="1", PYTHONPATH=path, **variables)


def run_python(script, *arguments, home, **variables):
    """Run ``script`` in a fresh interpreter (see ``environment``); its last line of output, as JSON."""
    completed = subprocess.run([sys.executable, "-c", script, *map(str, arguments)], capture_output=True, text=True,
                               timeout=300, cwd=REPOSITORY, env=environment(home, **variables))
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.splitlines()[-1])


def kernel_files(home):
    folder = Path(home) / "kernels"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else None


def cpu_flags():
    """The CPU's feature flags from /proc/cpuinfo, or None where there is no such file."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split(":", 1)[1].split()}


def test_kernels_load_where_the_machine_supports_them():
    flags = cpu_flags()
    if flags is None:
        pytest.skip("no /proc/cpuinfo to read the CPU's features from")
    if not {"avx2", "fma"} <= flags:
        pytest.skip("the CPU has no AVX2 and FMA")
    if shutil.which(os.environ.get("CC", "cc")) is None:
        pytest.skip("no C compiler")
    library = native.library("convolution")
    assert library is not None, "the convolution kernels did not build on a machine with a compiler and AVX2"
    best = "avx512" if "avx512f" in flags else "avx2"
    assert library.supported_instruction_set() == cpu_convolution.INSTRUCTION_SETS[best]
    assert cpu_convolution._kernels() is not None
    assert native.library("convolution") is library  # built and loaded once per process


INSTRUCTION_SET = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from spindle.backend import cpu_convolution, native
    chosen = cpu_convolution.instruction_set()
print(json.dumps({"chosen": chosen, "supported": native.library("convolution").supported_instruction_set(),
                  "warnings": [str(warning.message) for warning in caught]}))
"""


@pytest.mark.parametrize("setting", [None, "avx2", "avx512", "sse"])
def test_the_environment_picks_the_instruction_set(tmp_path, setting):
    """``SPINDLE_CONVOLUTION_ISA`` names the kernels' instruction set; unset, or naming one the CPU
    cannot run (with a warning), the kernels use the best the CPU has."""
    if cpu_convolution._kernels() is None:
        pytest.skip("the convolution kernels cannot be built or run here (no AVX2 and FMA or no C compiler)")
    variables = {} if setting is None else {"SPINDLE_CONVOLUTION_ISA": setting}
    report = run_python(INSTRUCTION_SET, home=tmp_path, **variables)
    best = next(name for name, number in cpu_convolution.INSTRUCTION_SETS.items() if number == report["supported"])
    runnable = cpu_convolution.INSTRUCTION_SETS.get(setting, report["supported"] + 1) <= report["supported"]
    assert report["chosen"] == (setting if runnable else best), report
    assert len(report["warnings"]) == (0 if setting is None or runnable else 1), report["warnings"]
    if report["warnings"]:
        assert "SPINDLE_CONVOLUTION_ISA" in report["warnings"][0], report["warnings"]


# The arrays come from the parent (``arrays.npz``): conv2d's output and gradients go back to it, with
# what ``library`` returned and every warning raised.
FAILED_BUILD = """
import json, sys, warnings
import numpy as np

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import spindle
    from spindle.backend import cpu_convolution, native
    first, second = native.library("convolution"), native.library("convolution")
    arrays = np.load(sys.argv[1])
    x, weight, bias = (spindle.tensor(arrays[name], requires_grad=True) for name in ("x", "weight", "bias"))
    output = spindle.nn.functional.conv2d(x, weight, bias, padding=1, dilation=(1, 2))
    output.backward(spindle.tensor(arrays["upstream"]))
np.savez(sys.argv[2], output=output.detach().numpy(), x=x.grad.numpy(), weight=weight.grad.numpy(),
         bias=bias.grad.numpy())
print(json.dumps({
    "libraries": [repr(first), repr(second)],
    "enabled": native.enabled,
    "kernels": repr(cpu_convolution._kernels()),
    "warnings": [[warning.category.__name__, str(warning.message)] for warning in caught],
}))
"""


@pytest.mark.parametrize("compiler", ["/nonexistent/cc", "false"], ids=["missing", "failing"])
def test_a_failed_build_warns_once_and_conv2d_falls_back(rng, tmp_path, compiler):
    if compiler == "false" and shutil.which(compiler) is None:
        pytest.skip("no `false` command to act as a failing compiler")
    arrays = {"x": (3, 4, 6, 17), "weight": (9, 4, 3, 2), "bias": (9,), "upstream": (3, 9, 6, 17)}
    arrays = {name: rng.standard_normal(shape).astype(np.float32) for name, shape in arrays.items()}
    np.savez(tmp_path / "arrays.npz", **arrays)
    home = tmp_path / "home"
    report = run_python(FAILED_BUILD, tmp_path / "arrays.npz", tmp_path / "results.npz", home=home, CC=compiler)

    assert report["libraries"] == ["None", "None"] and report["kernels"] == "None"
    assert report["enabled"], "the kernels were off by configuration, not by the failed build"
    assert len(report["warnings"]) == 1, report["warnings"]
    category, message = report["warnings"][0]
    assert category == "RuntimeWarning" and "'convolution'" in message, report["warnings"]
    assert kernel_files(home) == [], "the failed build left files behind"

    leaves = {name: torch.tensor(arrays[name], requires_grad=True) for name in ("x", "weight", "bias")}
    output = torch.nn.functional.conv2d(leaves["x"], leaves["weight"], leaves["bias"], padding=1, dilation=(1, 2))
    output.backward(torch.from_numpy(arrays["upstream"]))
    expected = {"output": output.detach().numpy(), **{name: leaf.grad.numpy() for name, leaf in leaves.items()}}
    results = np.load(tmp_path / "results.npz")
    for name, value in expected.items():
        np.testing.assert_allclose(results[name], value, rtol=1e-4, atol=1e-4 * np.abs(value).max(), err_msg=name)


LOAD = """
import json
import os
from spindle.backend import native
path = native.library("convolution")._name
status = os.stat(path)
print(json.dumps({"path": path, "inode": status.st_ino, "modified": status.st_mtime_ns}))
"""


def test_the_compiled_library_is_cached_on_disk(tmp_path):
    if native.library("convolution") is None:
        pytest.skip("the convolution kernels cannot be built here")
    home = tmp_path / "home"
    # Several processes building at once: each loads a whole library, one file remains.
    children = [subprocess.Popen([sys.executable, "-c", LOAD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, cwd=REPOSITORY, env=environment(home)) for _ in range(3)]
    reports = []
    for child in children:
        stdout, stderr = child.communicate(timeout=300)
        assert child.returncode == 0, stderr[-3000:]
        reports.append(json.loads(stdout.splitlines()[-1]))
    files = kernel_files(home)
    assert len(files) == 1 and re.fullmatch(r"convolution-[0-9a-f]{16}\.so", files[0]), files
    assert {report["path"] for report in reports} == {str(home / "kernels" / files[0])}

    cached = os.stat(home / "kernels" / files[0])
    later = run_python(LOAD, home=home)
    assert (later["inode"], later["modified"]) == (cached.st_ino, cached.st_mtime_ns), "a later process compiled again"
    assert kernel_files(home) == files


COUNT_KERNEL_CALLS = """
import json
import numpy as np
import spindle
from spindle.backend import cpu_convolution, native

calls = []
forward = cpu_convolution.forward
cpu_convolution.forward = lambda *arguments: calls.append(1) or forward(*arguments)
x = spindle.tensor(np.ones((2, 3, 5, 6), np.float32))
spindle.nn.functional.conv2d(x, spindle.tensor(np.ones((4, 3, 3, 3), np.float32)), padding=1)
print(json.dumps({"enabled": native.enabled, "calls": len(calls)}))
"""


@pytest.mark.parametrize("setting, enabled", [("0", False), ("1", True), (None, True)], ids=["0", "1", "unset"])
def test_the_environment_turns_the_kernels_off(tmp_path, setting, enabled):
    if enabled and cpu_convolution._kernels() is None:
        pytest.skip("the convolution kernels cannot be built or run here (no AVX2 and FMA or no C compiler)")
    variables = {} if setting is None else {"SPINDLE_NATIVE_KERNELS": setting}
    report = run_python(COUNT_KERNEL_CALLS, home=tmp_path, **variables)
    assert report["enabled"] == enabled
    if enabled:
        assert report["calls"] == 1 and len(kernel_files(tmp_path)) == 1
    else:
        assert report["calls"] == 0 and kernel_files(tmp_path) is None, "kernels were built or called while off"


FORKED_CHILD_USES_THE_POOL = """
import multiprocessing, numpy as np, spindle
spindle.set_num_threads(2)
x, w = spindle.randn(4, 3, 20, 20), spindle.randn(8, 3, 3, 3)
expected = spindle.nn.functional.conv2d(x, w, padding=1).numpy()  # starts the parent's worker pool


def child(queue):
    queue.put(spindle.nn.functional.conv2d(x, w, padding=1).numpy())


queue = multiprocessing.get_context("fork").Queue()
process = multiprocessing.get_context("fork").Process(target=child, args=(queue,))
process.start()
result = queue.get(timeout=20)
process.join(20)
assert process.exitcode == 0 and np.array_equal(result, expected)
print("ok")
"""


@pytest.mark.skipif(sys.platform != "linux", reason="forks")
def test_a_forked_child_starts_its_own_worker_pool():
    """DataLoader workers are forked: the parent's pool threads do not exist there, so the child must
    start its own instead of waiting for them forever."""
    completed = subprocess.run([sys.executable, "-c", FORKED_CHILD_USES_THE_POOL], capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0 and completed.stdout.strip() == "ok", completed.stderr[-2000:]

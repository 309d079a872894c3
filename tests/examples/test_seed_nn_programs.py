"""The lecture-9 programs built on nn, optim and data give PyTorch's losses, step by step.

Each example in examples/ is run as written (`import spindle as torch`) and with real
PyTorch. Both get the same data, drawn from one NumPy generator seeded per test in place
of `randn`, and the same initial weights: PyTorch's freshly built model is copied into
Spindle's with `load_state_dict`. Runs are short because float32 BLAS rounding differs
between the frameworks and training amplifies it.
"""
import pathlib
import sys
import types

import numpy as np
import pytest
import torch

import spindle

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
# (example, keyword arguments of its main): enough steps for Adam's and momentum-free
# SGD's updates to move every weight, few enough to stay fast.
PROGRAMS = [
    ("seed_nn_sequential_adam", {"steps": 30}),
    ("seed_two_layer_module", {"steps": 100}),
    ("seed_parallel_block", {"steps": 30}),
    ("seed_dataloader", {"epochs": 3}),  # 8 batches per epoch
]


def load_example(name, framework):
    """Execute examples/<name>.py with its `spindle` imports pointed at `framework`.

    The example's own imports of other examples (`from seed_two_layer_module import ...`)
    must resolve to the same framework, so those are loaded first and served from
    `sys.modules` while this one executes.
    """
    path = EXAMPLES / f"{name}.py"
    lines = path.read_text().splitlines(keepends=True)
    assert lines.count("import spindle as torch\n") == 1, f"{path} must `import spindle as torch`"
    source = "".join(
        line.replace("spindle", framework.__name__, 1)
        if line.startswith(("import spindle", "from spindle"))
        else line
        for line in lines
    )
    module = types.ModuleType(name)
    module.__file__ = str(path)
    example_imports = {
        line.split()[1]
        for line in lines
        if line.startswith("from seed_") or line.startswith("import seed_")
    }
    saved = {dependency: sys.modules.get(dependency) for dependency in example_imports}
    try:
        for dependency in example_imports:
            sys.modules[dependency] = load_example(dependency, framework)
        exec(compile(source, str(path), "exec"), module.__dict__)
    finally:
        for dependency, previous in saved.items():
            if previous is None:
                sys.modules.pop(dependency, None)
            else:
                sys.modules[dependency] = previous
    return module


def run_example(module, framework, seed, initial_state, monkeypatch, main_arguments):
    """Losses of the example's `main`, its `randn` drawn from NumPy with `seed`.

    When `initial_state` is an empty dict the freshly built model's state is stored in
    it as NumPy arrays; otherwise the model is loaded from it before training.
    """
    generator = np.random.default_rng(seed)
    build_model = module.build_model

    def randn(*size, **options):
        return framework.from_numpy(generator.standard_normal(size).astype(np.float32))

    def build_model_from_initial_state():
        model = build_model()
        if initial_state:
            model.load_state_dict(
                {key: framework.from_numpy(array) for key, array in initial_state.items()}
            )
        else:
            initial_state.update(
                {key: value.detach().numpy().copy() for key, value in model.state_dict().items()}
            )
        return model

    with monkeypatch.context() as patch:
        patch.setattr(framework, "randn", randn)
        patch.setattr(module, "build_model", build_model_from_initial_state)
        return module.main(**main_arguments, print_every=None)


@pytest.mark.parametrize("name, main_arguments", PROGRAMS, ids=[name for name, _ in PROGRAMS])
def test_losses_match_pytorch(name, main_arguments, seed, monkeypatch):
    initial_state = {}
    torch_losses = run_example(
        load_example(name, torch), torch, seed, initial_state, monkeypatch, main_arguments
    )
    spindle_losses = run_example(
        load_example(name, spindle), spindle, seed, initial_state, monkeypatch, main_arguments
    )

    assert initial_state, "the example did not build its model with build_model()"
    assert len(spindle_losses) == len(torch_losses) > 1
    np.testing.assert_allclose(spindle_losses, torch_losses, rtol=1e-4)
    # Per-batch losses are noisy (the DataLoader seed reports every batch): compare the first and last quarters.
    quarter = max(len(torch_losses) // 4, 1)
    assert np.mean(torch_losses[-quarter:]) < np.mean(torch_losses[:quarter]), "the program no longer trains"


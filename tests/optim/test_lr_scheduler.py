"""Learning-rate schedulers reproduce PyTorch's rate (and momentum) sequences and checkpoints.

Each case builds the same optimizer (two parameter groups with different rates) in both frameworks,
attaches the schedulers, and records every group's lr (and momentum or beta1) after each step.
"""
import copy
import math
import warnings

import numpy as np
import pytest
import torch

import spindle
import spindle.optim
from tests.optim.oracle import assert_same_error, assert_same_structure

STEPS = 30


def decay(epoch):
    return 0.9 ** epoch


def harmonic(epoch):
    return 1.0 / (epoch + 1)


def constant_decay(epoch):
    return 0.93


class CountingDecay:
    """A stateful callable object: its call count (saved in state dicts) decides the factor, so a
    resumed run only matches if the count was restored."""

    def __init__(self, factor):
        self.factor = factor
        self.calls = 0

    def __call__(self, epoch):
        self.calls += 1
        return 0.5 if self.calls % 5 == 0 else self.factor


class PowerScale:
    """A callable scale_fn object (its __dict__ goes into CyclicLR's state dict)."""

    def __init__(self, base):
        self.base = base

    def __call__(self, x):
        return self.base ** x


def half_cycles(cycle):
    return 1.0 / cycle


# name: (optimizer name, optimizer options, schedulers built from (lr_scheduler module, optimizer), steps)
CASES = {
    "StepLR": ("SGD", {}, lambda s, o: [s.StepLR(o, step_size=3, gamma=0.5)], STEPS),
    "MultiStepLR": ("SGD", {}, lambda s, o: [s.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3)], STEPS),
    "ExponentialLR": ("SGD", {}, lambda s, o: [s.ExponentialLR(o, gamma=0.87)], STEPS),
    "CosineAnnealingLR": ("SGD", {}, lambda s, o: [s.CosineAnnealingLR(o, T_max=7, eta_min=1e-3)], STEPS),
    "CosineAnnealingLR-no-eta-min": ("Adam", {}, lambda s, o: [s.CosineAnnealingLR(o, T_max=12)], STEPS),
    "LambdaLR": ("SGD", {}, lambda s, o: [s.LambdaLR(o, decay)], STEPS),
    "LambdaLR-per-group": ("SGD", {}, lambda s, o: [s.LambdaLR(o, [decay, harmonic])], STEPS),
    "LinearLR": ("SGD", {}, lambda s, o: [s.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6)], STEPS),
    "LinearLR-decay": ("SGD", {}, lambda s, o: [s.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=20)],
                       STEPS),
    "chained-StepLR-ExponentialLR": (
        "SGD", {}, lambda s, o: [s.StepLR(o, step_size=4, gamma=0.5), s.ExponentialLR(o, gamma=0.95)], STEPS
    ),
    "chained-LinearLR-CosineAnnealingLR": (
        "SGD", {}, lambda s, o: [s.LinearLR(o, start_factor=0.5, total_iters=5), s.CosineAnnealingLR(o, T_max=9)],
        STEPS,
    ),
    "SequentialLR-warmup-cosine": (
        "SGD", {},
        lambda s, o: [s.SequentialLR(o, [s.LinearLR(o, start_factor=0.1, total_iters=4),
                                         s.CosineAnnealingLR(o, T_max=10, eta_min=1e-3)], milestones=[4])],
        STEPS,
    ),
    "SequentialLR-three": (
        "SGD", {},
        lambda s, o: [s.SequentialLR(o, [s.ExponentialLR(o, gamma=0.9), s.StepLR(o, step_size=2, gamma=0.5),
                                         s.MultiStepLR(o, milestones=[12, 15], gamma=0.1)], milestones=[3, 8])],
        STEPS,
    ),
    "MultiplicativeLR": ("SGD", {}, lambda s, o: [s.MultiplicativeLR(o, constant_decay)], STEPS),
    "MultiplicativeLR-per-group-stateful": (
        "SGD", {}, lambda s, o: [s.MultiplicativeLR(o, [harmonic, CountingDecay(0.96)])], STEPS
    ),
    "ConstantLR": ("SGD", {}, lambda s, o: [s.ConstantLR(o, factor=0.25, total_iters=6)], STEPS),
    "ConstantLR-default": ("Adam", {}, lambda s, o: [s.ConstantLR(o)], STEPS),
    "PolynomialLR": ("SGD", {}, lambda s, o: [s.PolynomialLR(o, total_iters=20)], STEPS),
    "PolynomialLR-power": ("SGD", {}, lambda s, o: [s.PolynomialLR(o, total_iters=12, power=2.5)], STEPS),
    "CyclicLR-triangular-sgd-momentum": (
        "SGD", dict(momentum=0.9), lambda s, o: [s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4)], STEPS
    ),
    "CyclicLR-triangular2-adam-betas": (
        "Adam", {},
        lambda s, o: [s.CyclicLR(o, base_lr=[0.01, 0.002], max_lr=[0.1, 0.05], step_size_up=3, step_size_down=5,
                                 mode="triangular2", base_momentum=[0.8, 0.85], max_momentum=0.95)],
        STEPS,
    ),
    "CyclicLR-exp-range-rmsprop": (
        "RMSprop", dict(momentum=0.5),
        lambda s, o: [s.CyclicLR(o, base_lr=0.01, max_lr=0.2, step_size_up=5, mode="exp_range", gamma=0.97)],
        STEPS,
    ),
    "CyclicLR-scale-fn-iterations-no-momentum": (
        "Adagrad", {},
        lambda s, o: [s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=4,
                                 scale_fn=PowerScale(0.95), scale_mode="iterations", cycle_momentum=False)],
        STEPS,
    ),
    "CyclicLR-scale-fn-cycle": (
        "SGD", dict(momentum=0.9),
        lambda s, o: [s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="not a mode",
                                 scale_fn=half_cycles)],
        STEPS,
    ),
    # StepLR (not firing within the run) records initial_lr first; CyclicLR's base_lrs are still its base_lr.
    "CyclicLR-after-initial-lr-recorded": (
        "SGD", dict(momentum=0.9),
        lambda s, o: [s.StepLR(o, step_size=STEPS + 1), s.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4)],
        STEPS,
    ),
    "CosineAnnealingWarmRestarts": ("SGD", {}, lambda s, o: [s.CosineAnnealingWarmRestarts(o, T_0=7)], STEPS),
    "CosineAnnealingWarmRestarts-mult": (
        "Adam", {}, lambda s, o: [s.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3)], STEPS
    ),
    "ChainedScheduler-constant-exponential": (
        "SGD", {},
        lambda s, o: [s.ChainedScheduler([s.ConstantLR(o, factor=0.1, total_iters=10), s.ExponentialLR(o, 0.9)])],
        STEPS,
    ),
    "ChainedScheduler-with-optimizer": (
        "SGD", {},
        lambda s, o: [s.ChainedScheduler([s.PolynomialLR(o, total_iters=25, power=0.5),
                                          s.MultiStepLR(o, milestones=[4, 9], gamma=0.5),
                                          s.MultiplicativeLR(o, constant_decay)], optimizer=o)],
        STEPS,
    ),
    "SequentialLR-constant-exponential": (
        "SGD", {},
        lambda s, o: [s.SequentialLR(o, [s.ConstantLR(o, factor=0.1, total_iters=20), s.ExponentialLR(o, 0.9)],
                                     milestones=[6])],
        STEPS,
    ),
    "SequentialLR-chained-then-warm-restarts": (
        "SGD", {},
        lambda s, o: [s.SequentialLR(o, [s.ChainedScheduler([s.LinearLR(o, start_factor=0.2, total_iters=4),
                                                             s.ExponentialLR(o, 0.95)]),
                                         s.CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2)], milestones=[5])],
        STEPS,
    ),
    "OneCycleLR-cos-momentum": ("SGD", dict(momentum=0.9),
                                lambda s, o: [s.OneCycleLR(o, max_lr=0.5, total_steps=25)], 25),
    "OneCycleLR-linear-three-phase-adam": (
        "Adam", {},
        lambda s, o: [s.OneCycleLR(o, max_lr=[0.5, 0.2], epochs=4, steps_per_epoch=6, anneal_strategy="linear",
                                   three_phase=True, pct_start=0.25, base_momentum=0.8, max_momentum=[0.9, 0.95])],
        24,
    ),
    "OneCycleLR-no-momentum": (
        "RMSprop", {},
        lambda s, o: [s.OneCycleLR(o, max_lr=0.3, total_steps=21, cycle_momentum=False, div_factor=10.0,
                                   final_div_factor=100.0)],
        21,
    ),
}


def train(framework, name, steps=None, resume_at=None):
    """Step the case's schedulers; return rates, momenta and last_lr after each step.

    With `resume_at`, the run is checkpointed after that many steps and continued on a freshly
    built optimizer and schedulers that load the optimizer's and the schedulers' state dicts.
    """
    optimizer_name, options, build, case_steps = CASES[name]

    def start():
        params = [framework.zeros(2, requires_grad=True), framework.zeros(3, requires_grad=True)]
        groups = [{"params": params[:1], "lr": 0.1}, {"params": params[1:], "lr": 0.02}]
        optimizer = getattr(framework.optim, optimizer_name)(groups, **options)
        return optimizer, build(framework.optim.lr_scheduler, optimizer)

    optimizer, schedulers = start()
    history = []
    for step in range(case_steps if steps is None else steps):
        if step == resume_at:
            checkpoint = copy.deepcopy(
                (optimizer.state_dict(), [scheduler.state_dict() for scheduler in schedulers])
            )
            optimizer, schedulers = start()
            optimizer.load_state_dict(checkpoint[0])
            for scheduler, state in zip(schedulers, checkpoint[1]):
                scheduler.load_state_dict(state)
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
        history.append(snapshot(optimizer, schedulers))
    return history, schedulers


def snapshot(optimizer, schedulers):
    lrs = [group["lr"] for group in optimizer.param_groups]
    momenta = [group["betas"][0] if "betas" in group else group.get("momentum", 0) for group in optimizer.param_groups]
    return lrs + momenta + [lr for scheduler in schedulers for lr in scheduler.get_last_lr()]


@pytest.mark.parametrize("name", list(CASES))
def test_sequence_matches_torch(name):
    actual, _ = train(spindle, name)
    expected, _ = train(torch, name)
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=0)
    assert len(set(map(tuple, expected))) > 1  # the case does change the rate


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_matches_torch_and_resumes(name):
    _, schedulers = train(spindle, name, steps=8)
    _, reference = train(torch, name, steps=8)
    for scheduler, expected in zip(schedulers, reference):
        assert_same_structure(scheduler.state_dict(), expected.state_dict())
    resumed, _ = train(spindle, name, resume_at=8)
    expected, _ = train(torch, name)
    np.testing.assert_allclose(resumed, expected, rtol=1e-10, atol=0)


def test_initial_lr_and_base_lrs():
    for framework in (spindle, torch):
        optimizer = framework.optim.SGD([{"params": [framework.zeros(1, requires_grad=True)], "lr": 0.3}])
        scheduler = framework.optim.lr_scheduler.StepLR(optimizer, step_size=2)
        assert optimizer.param_groups[0]["initial_lr"] == 0.3
        assert scheduler.base_lrs == [0.3] and scheduler.last_epoch == 0 and scheduler.get_last_lr() == [0.3]


@pytest.mark.parametrize("framework", [spindle, torch], ids=lambda f: f.__name__)
def test_warns_when_the_scheduler_steps_before_the_optimizer(framework):
    optimizer = framework.optim.SGD([framework.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = framework.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    with pytest.warns(UserWarning, match=r"before `optimizer.step\(\)`"):
        scheduler.step()
    scheduler = framework.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    optimizer.step = type(optimizer).step.__get__(optimizer)  # replaced after the scheduler wrapped it
    with pytest.warns(UserWarning, match="overridden"):
        scheduler.step()
    optimizer = framework.optim.SGD([framework.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = framework.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    optimizer.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scheduler.step()
    copy.deepcopy(optimizer)  # the wrapper installed on `step` is not part of the optimizer's state


def test_step_with_epoch_uses_the_closed_form():
    def rates(framework):
        optimizer = framework.optim.SGD([framework.zeros(1, requires_grad=True)], lr=0.1)
        step_lr = framework.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
        cosine = framework.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
        result = []
        optimizer.step()
        for epoch in (7, 2, 11):
            with pytest.warns(UserWarning, match="epoch parameter"):
                step_lr.step(epoch)
            result.append(step_lr.get_last_lr()[0])
            with pytest.warns(UserWarning, match="epoch parameter"):
                cosine.step(epoch)
            result.append(cosine.get_last_lr()[0])
        return result

    np.testing.assert_allclose(rates(spindle), rates(torch), rtol=1e-12)
    assert rates(spindle)[0] == pytest.approx(0.1 * 0.5 ** 2)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda s, o: s.ConstantLR(o, factor=0.5, total_iters=5), id="ConstantLR"),
        pytest.param(lambda s, o: s.PolynomialLR(o, total_iters=9, power=1.5), id="PolynomialLR"),
        pytest.param(lambda s, o: s.MultiplicativeLR(o, harmonic), id="MultiplicativeLR"),
        pytest.param(lambda s, o: s.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="triangular2"), id="CyclicLR"),
    ],
)
def test_step_with_epoch_matches_torch(build):
    # Closed form where PyTorch has one (ConstantLR, PolynomialLR), else get_lr at the given epoch.
    def rates(framework):
        optimizer = framework.optim.SGD([framework.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
        scheduler = build(framework.optim.lr_scheduler, optimizer)
        optimizer.step()
        result = []
        for epoch in (7, 2, 11, 5, 0, 4):
            with pytest.warns(UserWarning, match="epoch parameter"):
                scheduler.step(epoch)
            result.append(scheduler.get_last_lr() + [optimizer.param_groups[0]["momentum"]])
        return result

    expected = rates(torch)
    np.testing.assert_allclose(rates(spindle), expected, rtol=1e-10, atol=0)
    assert len(set(map(tuple, expected))) > 1


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_with_fractional_epochs(T_mult, rng):
    # Steps after every batch with `epoch + batch / batches`, interleaved with plain steps and jumps;
    # checkpointed halfway through, with T_cur fractional.
    batches = int(rng.integers(3, 7))
    schedule = [epoch + batch / batches for epoch in range(9) for batch in range(batches)]
    schedule[5:5] = [None, None]
    schedule[-3:-3] = [None, 26, None, 3.5, None]

    def run(framework, resume_at=None):
        def start():
            params = [framework.zeros(1, requires_grad=True), framework.zeros(1, requires_grad=True)]
            optimizer = framework.optim.SGD([{"params": params[:1], "lr": 0.1}, {"params": params[1:], "lr": 0.03}])
            scheduler = framework.optim.lr_scheduler.CosineAnnealingWarmRestarts(
                optimizer, T_0=2, T_mult=T_mult, eta_min=0.002
            )
            return optimizer, scheduler

        optimizer, scheduler = start()
        history = []
        for step, epoch in enumerate(schedule):
            if step == resume_at:
                state = copy.deepcopy((optimizer.state_dict(), scheduler.state_dict()))
                optimizer, scheduler = start()
                optimizer.load_state_dict(state[0])
                scheduler.load_state_dict(state[1])
            optimizer.step()
            scheduler.step(epoch)
            history.append(scheduler.get_last_lr() + [scheduler.last_epoch, scheduler.T_cur, scheduler.T_i])
        return history, scheduler

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch's CosineAnnealingWarmRestarts warns about neither
        expected, reference = run(torch)
        actual, scheduler = run(spindle)
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-15)
    assert_same_structure(scheduler.state_dict(), reference.state_dict())
    resumed, _ = run(spindle, resume_at=len(schedule) // 2 + 1)
    np.testing.assert_allclose(resumed, expected, rtol=1e-10, atol=1e-15)


def test_exports_match_torch():
    assert sorted(spindle.optim.lr_scheduler.__all__) == sorted(torch.optim.lr_scheduler.__all__)
    for name in spindle.optim.lr_scheduler.__all__:
        assert isinstance(getattr(spindle.optim.lr_scheduler, name), type), name


PLATEAU_CASES = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(mode="max", threshold_mode="abs", threshold=0.05, patience=1, cooldown=2),
    dict(patience=0, factor=0.3, min_lr=[0.01, 0.005], threshold=0.1),
    dict(patience=1, factor=0.5, min_lr=0.004, cooldown=1, eps=1e-3),
    dict(mode="max", patience=3, threshold=0.01),
]


@pytest.mark.parametrize("options", PLATEAU_CASES, ids=repr)
def test_reduce_lr_on_plateau_matches_torch(options, rng):
    # A noisy metric that improves for a while, then plateaus: reductions, cooldowns and resets.
    metrics = np.concatenate([np.linspace(1.0, 0.5, 8), 0.5 + 0.02 * rng.standard_normal(25)])
    if options.get("mode") == "max":
        metrics = -metrics

    def run(framework, resume_at=None):
        def start():
            params = [framework.zeros(1, requires_grad=True), framework.zeros(1, requires_grad=True)]
            groups = [{"params": params[:1], "lr": 0.1}, {"params": params[1:], "lr": 0.05}]
            optimizer = framework.optim.SGD(groups)
            return optimizer, framework.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **options)

        optimizer, scheduler = start()
        history = []
        for step, metric in enumerate(metrics):
            if step == resume_at:
                state = copy.deepcopy((optimizer.state_dict(), scheduler.state_dict()))
                optimizer, scheduler = start()
                optimizer.load_state_dict(state[0])
                scheduler.load_state_dict(state[1])
            optimizer.step()
            # The metric may be a one-element tensor, as a loss usually is.
            scheduler.step(framework.tensor(float(metric)) if step % 2 else float(metric))
            history.append(scheduler.get_last_lr() + [group["lr"] for group in optimizer.param_groups])
        return history, scheduler

    expected, reference = run(torch)
    actual, scheduler = run(spindle)
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=0)
    assert_same_structure(scheduler.state_dict(), reference.state_dict())
    resumed, _ = run(spindle, resume_at=15)
    np.testing.assert_allclose(resumed, expected, rtol=1e-10, atol=0)


def test_cosine_annealing_follows_the_closed_form():
    optimizer = spindle.optim.SGD([spindle.zeros(1, requires_grad=True)], lr=0.2)
    scheduler = spindle.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=8, eta_min=0.01)
    for epoch in range(1, 9):
        optimizer.step()
        scheduler.step()
        assert scheduler.get_last_lr()[0] == pytest.approx(0.01 + 0.19 * (1 + math.cos(math.pi * epoch / 8)) / 2)


def one_cycle_past_the_end(framework):
    optimizer = framework.optim.SGD([framework.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = framework.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=3)
    for _ in range(4):
        optimizer.step()
        scheduler.step()


def sgd(framework, **options):
    return framework.optim.SGD([framework.zeros(1, requires_grad=True)], lr=0.1, **options)


def warm_restarts_before_zero(framework):
    optimizer = sgd(framework)
    framework.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=3).step(-0.5)


def sequential_reaching_a_chained_scheduler(framework):
    # SequentialLR restarts a later scheduler through its closed form, which ChainedScheduler lacks.
    optimizer = sgd(framework)
    schedulers = framework.optim.lr_scheduler
    sequential = schedulers.SequentialLR(
        optimizer, [schedulers.StepLR(optimizer, 2), schedulers.ChainedScheduler([schedulers.StepLR(optimizer, 3)])],
        milestones=[2],
    )
    optimizer.step()
    for _ in range(3):
        sequential.step()


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda f: f.optim.lr_scheduler.StepLR("not an optimizer", 2), id="not-an-optimizer"),
        pytest.param(lambda f: f.optim.lr_scheduler.StepLR(sgd(f), 2, last_epoch=3), id="resume-without-initial-lr"),
        pytest.param(lambda f: f.optim.lr_scheduler.LambdaLR(sgd(f), [decay, decay]), id="lambda-count"),
        pytest.param(lambda f: f.optim.lr_scheduler.LinearLR(sgd(f), start_factor=0), id="linear-start"),
        pytest.param(lambda f: f.optim.lr_scheduler.LinearLR(sgd(f), end_factor=1.5), id="linear-end"),
        pytest.param(lambda f: f.optim.lr_scheduler.ReduceLROnPlateau(sgd(f), factor=1.0), id="plateau-factor"),
        pytest.param(lambda f: f.optim.lr_scheduler.ReduceLROnPlateau(sgd(f), mode="mean"), id="plateau-mode"),
        pytest.param(lambda f: f.optim.lr_scheduler.ReduceLROnPlateau(sgd(f), threshold_mode="x"), id="plateau-tm"),
        pytest.param(lambda f: f.optim.lr_scheduler.ReduceLROnPlateau(sgd(f), min_lr=[0, 0]), id="plateau-min-lr"),
        pytest.param(lambda f: f.optim.lr_scheduler.OneCycleLR(sgd(f), max_lr=1.0), id="one-cycle-no-length"),
        pytest.param(lambda f: f.optim.lr_scheduler.OneCycleLR(sgd(f), 1.0, total_steps=10, pct_start=1.5),
                     id="one-cycle-pct"),
        pytest.param(lambda f: f.optim.lr_scheduler.OneCycleLR(sgd(f), 1.0, total_steps=10, anneal_strategy="exp"),
                     id="one-cycle-anneal"),
        pytest.param(lambda f: f.optim.lr_scheduler.OneCycleLR(sgd(f), [1.0, 2.0], total_steps=10),
                     id="one-cycle-max-lr-count"),
        pytest.param(lambda f: f.optim.lr_scheduler.OneCycleLR(f.optim.Adagrad([f.zeros(1, requires_grad=True)]),
                                                               1.0, total_steps=10), id="one-cycle-no-momentum"),
        pytest.param(one_cycle_past_the_end, id="one-cycle-past-the-end"),
        pytest.param(lambda f: f.optim.lr_scheduler.MultiplicativeLR(sgd(f), 0.9), id="multiplicative-not-callable"),
        pytest.param(lambda f: f.optim.lr_scheduler.MultiplicativeLR(sgd(f), [decay, decay]),
                     id="multiplicative-count"),
        pytest.param(lambda f: f.optim.lr_scheduler.ConstantLR(sgd(f), factor=1.5), id="constant-factor-above-one"),
        pytest.param(lambda f: f.optim.lr_scheduler.ConstantLR(sgd(f), factor=-0.1), id="constant-factor-negative"),
        pytest.param(lambda f: f.optim.lr_scheduler.CosineAnnealingWarmRestarts(sgd(f), T_0=0), id="warm-t0-zero"),
        pytest.param(lambda f: f.optim.lr_scheduler.CosineAnnealingWarmRestarts(sgd(f), T_0=2.5), id="warm-t0-float"),
        pytest.param(lambda f: f.optim.lr_scheduler.CosineAnnealingWarmRestarts(sgd(f), 3, T_mult=0), id="warm-mult"),
        pytest.param(lambda f: f.optim.lr_scheduler.CosineAnnealingWarmRestarts(sgd(f), 3, T_mult=1.5),
                     id="warm-mult-float"),
        pytest.param(lambda f: f.optim.lr_scheduler.CosineAnnealingWarmRestarts(sgd(f), 3, eta_min="0"),
                     id="warm-eta-min"),
        pytest.param(warm_restarts_before_zero, id="warm-negative-epoch"),
        pytest.param(lambda f: f.optim.lr_scheduler.CyclicLR(f.optim.Adagrad([f.zeros(1, requires_grad=True)]),
                                                             0.01, 0.1), id="cyclic-no-momentum"),
        pytest.param(lambda f: f.optim.lr_scheduler.CyclicLR(sgd(f), 0.01, 0.1, mode="triangular3"),
                     id="cyclic-mode"),
        pytest.param(lambda f: f.optim.lr_scheduler.CyclicLR(sgd(f), [0.01, 0.02], 0.1), id="cyclic-base-lr-count"),
        pytest.param(lambda f: f.optim.lr_scheduler.CyclicLR(sgd(f, momentum=0.9), 0.01, 0.1, max_momentum=[0.9, 1]),
                     id="cyclic-momentum-count"),
        pytest.param(lambda f: f.optim.lr_scheduler.CyclicLR("not an optimizer", 0.01, 0.1),
                     id="cyclic-not-an-optimizer"),
        pytest.param(lambda f: f.optim.lr_scheduler.ChainedScheduler([]), id="chained-empty"),
        pytest.param(
            lambda f: (lambda o: f.optim.lr_scheduler.ChainedScheduler(
                [f.optim.lr_scheduler.StepLR(o, 2), f.optim.lr_scheduler.StepLR(sgd(f), 2)]))(sgd(f)),
            id="chained-other-optimizer",
        ),
        pytest.param(
            lambda f: (lambda o: f.optim.lr_scheduler.ChainedScheduler(
                [f.optim.lr_scheduler.StepLR(o, 2)], optimizer=sgd(f)))(sgd(f)),
            id="chained-other-given-optimizer",
        ),
        pytest.param(
            lambda f: (lambda o: f.optim.lr_scheduler.ChainedScheduler(
                [f.optim.lr_scheduler.StepLR(o, 2), f.optim.lr_scheduler.ReduceLROnPlateau(o)]))(sgd(f)),
            id="chained-plateau",
        ),
        pytest.param(
            lambda f: (lambda o: f.optim.lr_scheduler.ChainedScheduler([f.optim.lr_scheduler.StepLR(o, 2), "x"]))(
                sgd(f)),
            id="chained-not-a-scheduler",
        ),
        pytest.param(sequential_reaching_a_chained_scheduler, id="sequential-chained-milestone"),
        pytest.param(lambda f: f.optim.lr_scheduler.SequentialLR(sgd(f), [], milestones=[]), id="sequential-empty"),
        pytest.param(
            lambda f: (lambda o: f.optim.lr_scheduler.SequentialLR(
                o, [f.optim.lr_scheduler.StepLR(o, 2), f.optim.lr_scheduler.StepLR(o, 3)], milestones=[2, 4]))(sgd(f)),
            id="sequential-milestones",
        ),
        pytest.param(
            lambda f: (lambda o: f.optim.lr_scheduler.SequentialLR(
                o, [f.optim.lr_scheduler.StepLR(sgd(f), 2)], milestones=[]))(sgd(f)),
            id="sequential-other-optimizer",
        ),
        pytest.param(
            lambda f: (lambda o: f.optim.lr_scheduler.SequentialLR(
                o, [f.optim.lr_scheduler.ReduceLROnPlateau(o), f.optim.lr_scheduler.StepLR(o, 2)], milestones=[3]))(
                sgd(f)),
            id="sequential-plateau",
        ),
    ],
)
def test_errors_match_torch(build):
    assert_same_error(build)

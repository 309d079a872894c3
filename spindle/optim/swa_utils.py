"""Stochastic weight averaging and exponential moving averages of a model, as ``torch.optim.swa_utils``.

``AveragedModel`` keeps a running average (SWA, or EMA with the ``get_ema_*`` functions) of a
model's parameters; ``SWALR`` anneals the learning rate to a constant SWA rate; ``update_bn``
recomputes batch-norm statistics for the averaged weights.
"""

from copy import deepcopy
import itertools
import math

import spindle
from spindle.nn import Module
from spindle.nn.modules.batchnorm import _BatchNorm

from .lr_scheduler import LRScheduler, _per_group

__all__ = [
    "AveragedModel", "SWALR", "get_ema_avg_fn", "get_ema_multi_avg_fn", "get_swa_avg_fn",
    "get_swa_multi_avg_fn", "update_bn",
]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def get_ema_multi_avg_fn(decay=0.999):
    """An in-place EMA update ``ema = decay * ema + (1 - decay) * current`` of lists of tensors,
    called as ``update(ema_tensors, current_tensors, num_averaged)``. Raises ``ValueError`` unless
    ``0 <= decay <= 1``."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with spindle.no_grad():
            if ema_param_list[0].is_floating_point():
                for ema_param, current_param in zip(ema_param_list, current_param_list):
                    ema_param.lerp_(current_param, 1 - decay)
            else:
                for ema_param, current_param in zip(ema_param_list, current_param_list):
                    ema_param.copy_(ema_param * decay + current_param * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn():
    """An in-place running mean ``avg += (current - avg) / (num_averaged + 1)`` of lists of tensors,
    called as ``update(averaged_tensors, current_tensors, num_averaged)``."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with spindle.no_grad():
            if averaged_param_list[0].is_floating_point():
                weight = float(1 / (num_averaged + 1))
                for averaged_param, current_param in zip(averaged_param_list, current_param_list):
                    averaged_param.lerp_(current_param, weight)
            else:
                # PyTorch's integer path: addcdiv_ rejects integer tensors (a RuntimeError, as in
                # PyTorch) when the count is a tensor, as AveragedModel passes it.
                for averaged_param, current_param in zip(averaged_param_list, current_param_list):
                    difference = current_param - averaged_param
                    if isinstance(num_averaged, spindle.Tensor):
                        averaged_param.addcdiv_(difference, num_averaged + 1)
                    else:
                        averaged_param.add_(difference, alpha=1.0 / (num_averaged + 1))

    return swa_update


def get_ema_avg_fn(decay=0.999):
    """An EMA step returning ``decay * ema + (1 - decay) * current`` for one tensor, called as
    ``update(ema, current, num_averaged)``. Raises ``ValueError`` unless ``0 <= decay <= 1``."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with spindle.no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn():
    """A running-mean step returning ``avg + (current - avg) / (num_averaged + 1)`` for one tensor."""

    def swa_update(averaged_param, current_param, num_averaged):
        with spindle.no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of ``model`` (moved to ``device`` if given) whose parameters hold a running average
    of ``model``'s, PyTorch's ``torch.optim.swa_utils.AveragedModel``.

    Each ``update_parameters(model)`` copies the parameters on the first call and then averages
    them with ``avg_fn(averaged, current, n_averaged)`` (returns the new tensor) or
    ``multi_avg_fn(averaged_list, current_list, n_averaged)`` (updates in place); without either,
    an equally weighted mean (SWA). With ``use_buffers`` the buffers are averaged too, otherwise
    they are copied. The count is the long buffer ``n_averaged``; the state dict holds it and the
    copy's entries under ``module.``. Calling the averaged model runs the copy.
    """

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", spindle.tensor(0, dtype=spindle.long, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        """Run the averaged copy of the model."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Fold ``model``'s current parameters (and buffers, with ``use_buffers``) into the average."""
        if self.use_buffers:
            averaged_tensors = itertools.chain(self.module.parameters(), self.module.buffers())
            model_tensors = itertools.chain(model.parameters(), model.buffers())
        else:
            averaged_tensors, model_tensors = self.parameters(), model.parameters()
        averaged_detached, model_detached = [], []
        first_update = bool(self.n_averaged == 0)
        with spindle.no_grad():
            for averaged, current in zip(averaged_tensors, model_tensors):
                current = current.detach().to(averaged.device)
                averaged_detached.append(averaged.detach())
                model_detached.append(current)
                if first_update:
                    averaged.detach().copy_(current)

            if self.n_averaged > 0:
                self._average(averaged_detached, model_detached)

            if not self.use_buffers:
                for averaged_buffer, model_buffer in zip(self.module.buffers(), model.buffers()):
                    averaged_buffer.detach().copy_(model_buffer.detach().to(averaged_buffer.device))
            self.n_averaged += 1

    def _average(self, averaged_tensors, model_tensors):
        if self.avg_fn is not None:
            for averaged, current in zip(averaged_tensors, model_tensors):
                averaged.copy_(self.avg_fn(averaged, current, self.n_averaged.to(averaged.device)))
            return
        # Like PyTorch, a multi-tensor function gets one call per (device, dtype) group.
        groups = {}
        for averaged, current in zip(averaged_tensors, model_tensors):
            averaged_list, model_list = groups.setdefault((str(averaged.device), averaged.dtype), ([], []))
            averaged_list.append(averaged)
            model_list.append(current)
        for averaged_list, model_list in groups.values():
            n_averaged = self.n_averaged.to(averaged_list[0].device)
            if self.multi_avg_fn is not None:
                self.multi_avg_fn(averaged_list, model_list, n_averaged)
            else:
                # PyTorch's CPU path: the single-tensor mean (its foreach lerp serves only GPUs).
                swa_update = get_swa_avg_fn()
                for averaged, current in zip(averaged_list, model_list):
                    averaged.copy_(swa_update(averaged, current, n_averaged))


def update_bn(loader, model, device=None):
    """Recompute the running statistics of every batch-norm layer of ``model`` by one pass over
    ``loader`` (batches are tensors, or lists/tuples whose first element is the input), as a
    cumulative average; the layers' momentum and the model's training mode are restored after."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return

    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with spindle.no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's learning rate to its ``swa_lr`` over ``anneal_epochs`` epochs, cosine
    (``"cos"``) or linear (``"linear"``), then keeps it there, PyTorch's ``SWALR``.

    ``swa_lr`` is one rate for all groups or a list of one per group (stored as
    ``group["swa_lr"]``). ``state_dict()`` holds every attribute but the optimizer and the
    annealing function.
    """

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for group_swa_lr, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = group_swa_lr
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        """The rates of this epoch: recover each group's pre-annealing rate from the current one,
        then mix it with ``swa_lr`` by the annealing fraction of this step."""
        self._warn_if_called_outside_step()
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        previous_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        previous_lrs = [
            self._get_initial_lr(group["lr"], group["swa_lr"], previous_alpha) for group in self.optimizer.param_groups
        ]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, previous_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        """Every attribute except the optimizer and the annealing function."""
        return {key: value for key, value in self.__dict__.items() if key not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        """Restore a state produced by ``state_dict()``."""
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)

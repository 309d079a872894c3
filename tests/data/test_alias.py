"""spindle.utils.data is spindle.data under PyTorch's import paths."""
import importlib

import spindle.data


def test_utils_data_is_the_data_module():
    import spindle.utils.data

    assert spindle.utils.data is spindle.data


def test_from_imports_give_the_same_objects():
    from spindle.utils.data import DataLoader, get_worker_info

    assert DataLoader is spindle.data.DataLoader
    assert get_worker_info is spindle.data.get_worker_info


def test_submodule_paths_do_not_load_copies():
    from spindle.utils.data.dataset import IterableDataset
    from spindle.utils.data.sampler import SubsetRandomSampler

    assert IterableDataset is spindle.data.IterableDataset
    assert SubsetRandomSampler is spindle.data.SubsetRandomSampler
    assert importlib.import_module("spindle.utils.data.dataloader") is importlib.import_module("spindle.data.dataloader")

"""Small top-level API pieces against PyTorch: finfo and iinfo."""
import pytest
import torch

import spindle


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    ours, theirs = spindle.finfo(getattr(spindle, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


def test_finfo_default_dtype_and_errors():
    assert spindle.finfo().dtype == torch.finfo().dtype
    previous = spindle.get_default_dtype()
    spindle.set_default_dtype(spindle.float64)
    try:
        assert spindle.finfo().bits == 64
    finally:
        spindle.set_default_dtype(previous)
    with pytest.raises(TypeError, match="floating point"):
        spindle.finfo(spindle.int32)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, theirs = spindle.iinfo(getattr(spindle, name)), torch.iinfo(getattr(torch, name))
    for field in ("bits", "max", "min", "dtype"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert repr(ours) == repr(theirs)


def test_iinfo_errors():
    with pytest.raises(TypeError, match="integer"):
        spindle.iinfo(spindle.float32)
    with pytest.raises(TypeError, match="bool"):
        spindle.iinfo(spindle.bool)

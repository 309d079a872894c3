"""Checkpoints: ``save`` writes safetensors files atomically; ``load`` reads them and PyTorch's zip
checkpoints, without running any code from the file."""
from .checkpoint import load, save

__all__ = ["load", "save"]

"""Locating dataset files on disk, with one clear error when they are missing."""

import os

__all__ = ["DatasetNotFoundError", "find_files"]


class DatasetNotFoundError(FileNotFoundError, RuntimeError):
    """Raised when a dataset's files are not where the reader looks. It is a
    FileNotFoundError, and also a RuntimeError like torchvision's "Dataset not found"."""


def find_files(dataset_name, folders, file_names, allow_gzip=False):
    """Paths of all ``file_names`` inside the first of ``folders`` that holds every
    one of them (each possibly as ``name.gz`` when ``allow_gzip``). Raises
    :class:`DatasetNotFoundError` naming the files and every folder searched."""
    for folder in folders:
        paths = []
        for name in file_names:
            candidates = [os.path.join(folder, name)]
            if allow_gzip:
                candidates.append(candidates[0] + ".gz")
            found = [path for path in candidates if os.path.isfile(path)]
            if not found:
                break
            paths.append(found[0])
        else:
            return paths
    expected = ", ".join(name + (" (or .gz)" if allow_gzip else "") for name in file_names)
    searched = ", ".join(repr(folder) for folder in folders)
    raise DatasetNotFoundError(
        f"{dataset_name} not found: expected the files {expected} in one of the folders {searched}. "
        "Downloading is not supported: place the files there."
    )

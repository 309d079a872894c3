"""Image transforms with torchvision's names and behaviour (``torchvision.transforms``),
for images as ``(..., C, H, W)`` tensors; :class:`ToTensor` converts the HxW or HxWxC
NumPy arrays the dataset readers return. Random transforms draw from spindle's global
generator (``spindle.rand``, ``spindle.randint``), so ``spindle.manual_seed`` makes
them reproducible (and DataLoader workers, seeded per worker, differ)."""

import numbers

import numpy

import spindle

__all__ = ["Compose", "ToTensor", "Normalize", "RandomCrop", "RandomHorizontalFlip", "Lambda"]

_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


class Compose:
    """Applies ``transforms`` one after another: ``Compose([a, b])(x) == b(a(x))``."""

    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for transform in self.transforms:
            img = transform(img)
        return img

    def __repr__(self):
        lines = "".join(f"\n    {transform}" for transform in self.transforms)
        return f"{self.__class__.__name__}({lines}\n)"


class ToTensor:
    """Converts a NumPy image, ``(H, W)`` or ``(H, W, C)``, into a ``(C, H, W)``
    tensor. uint8 images are scaled to floats in [0, 1] of the default dtype; other
    dtypes keep their values and dtype (as in torchvision)."""

    def __call__(self, pic):
        if not isinstance(pic, numpy.ndarray):
            raise TypeError(f"pic should be a NumPy ndarray (torchvision also takes PIL Images). Got {type(pic)}")
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = spindle.from_numpy(pic).permute(2, 0, 1).contiguous()
        if img.dtype == spindle.uint8:
            return img.to(dtype=spindle.get_default_dtype()).div(255)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}()"


def _check_image_tensor(img):
    if not isinstance(img, spindle.Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if img.dim() < 2:
        raise TypeError(f"Tensor is not a torch image: expected (..., H, W), got shape {tuple(img.shape)}")


class Normalize:
    """Normalizes a float ``(..., C, H, W)`` tensor per channel:
    ``(img[c] - mean[c]) / std[c]``; ``mean`` and ``std`` are sequences of length
    ``C`` (or numbers, broadcast to every channel). Returns a new tensor unless
    ``inplace``."""

    def __init__(self, mean, std, inplace=False):
        self.mean = mean
        self.std = std
        self.inplace = inplace

    def __call__(self, tensor):
        _check_image_tensor(tensor)
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.dim() < 3:
            raise ValueError(
                f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = {tensor.size()}"
            )
        if not self.inplace:
            tensor = tensor.clone()
        mean = spindle.as_tensor(self.mean, dtype=tensor.dtype, device=tensor.device)
        std = spindle.as_tensor(self.std, dtype=tensor.dtype, device=tensor.device)
        if (std == 0).any():
            raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading to division by zero.")
        if mean.dim() == 1:
            mean = mean.view(-1, 1, 1)
        if std.dim() == 1:
            std = std.view(-1, 1, 1)
        return tensor.sub_(mean).div_(std)

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


def _padding_sides(padding):
    """torchvision's padding forms (int, [all], [left/right, top/bottom],
    [left, top, right, bottom]) as ``(left, right, top, bottom)``."""
    if isinstance(padding, numbers.Integral):
        return padding, padding, padding, padding
    if not isinstance(padding, (tuple, list)):
        raise TypeError(f"Got inappropriate padding arg: {padding!r}")
    if len(padding) == 1:
        return padding[0], padding[0], padding[0], padding[0]
    if len(padding) == 2:
        return padding[0], padding[0], padding[1], padding[1]
    if len(padding) == 4:
        return padding[0], padding[2], padding[1], padding[3]
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def _padded_positions(size, before, after, padding_mode):
    """For one axis of length ``size`` padded by ``before`` and ``after`` (negative
    values crop): the source index of every output position, and whether it lies
    inside the image (outside positions take the fill value in constant mode)."""
    if padding_mode == "reflect" and max(before, after) >= size:
        raise RuntimeError(
            f"Padding size should be less than the corresponding input dimension, "
            f"but got padding ({before}, {after}) for a dimension of size {size}"
        )
    indices, inside = [], []
    for position in range(-before, size + after):
        inside.append(0 <= position < size)
        if inside[-1] or padding_mode in ("constant", "edge"):
            indices.append(min(max(position, 0), size - 1))
        elif padding_mode == "reflect":
            # Mirror about the edge pixels, which are not repeated: period 2 * (size - 1).
            offset = position % (2 * (size - 1))
            indices.append(offset if offset < size else 2 * (size - 1) - offset)
        else:
            # Mirror about the image borders, edge pixels repeated: period 2 * size.
            offset = position % (2 * size)
            indices.append(offset if offset < size else 2 * size - 1 - offset)
    return indices, inside


def _pad(img, padding, fill=0, padding_mode="constant"):
    """Pads the last two dimensions of ``img`` (``(..., H, W)``) as torchvision's
    ``functional.pad``: ``padding`` is an int (all sides), ``(left/right, top/bottom)``
    or ``(left, top, right, bottom)``; ``padding_mode`` is ``'constant'`` (with
    ``fill``), ``'edge'``, ``'reflect'`` (mirror without repeating the edge) or
    ``'symmetric'`` (mirror repeating it)."""
    _check_image_tensor(img)
    if not isinstance(fill, (int, float)):
        raise TypeError(f"Got inappropriate fill arg: {fill!r}")
    if padding_mode not in _PADDING_MODES:
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, right, top, bottom = _padding_sides(padding)
    height, width = img.shape[-2], img.shape[-1]
    rows, rows_inside = _padded_positions(height, top, bottom, padding_mode)
    columns, columns_inside = _padded_positions(width, left, right, padding_mode)
    padded = img.index_select(-2, spindle.tensor(rows, dtype=spindle.int64, device=img.device))
    padded = padded.index_select(-1, spindle.tensor(columns, dtype=spindle.int64, device=img.device))
    if padding_mode != "constant":
        return padded
    rows_inside = spindle.tensor(rows_inside, device=img.device).view(-1, 1)
    columns_inside = spindle.tensor(columns_inside, device=img.device).view(1, -1)
    return spindle.where(rows_inside & columns_inside, padded, spindle.full_like(padded, fill))


def _pair(size):
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 1:
        return size[0], size[0]
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return tuple(size)
    raise ValueError("Please provide only two dimensions (h, w) for size.")


class RandomCrop:
    """Crops a random ``size`` (``(h, w)``, or an int for a square) window out of a
    ``(..., H, W)`` tensor, after optional padding: ``padding`` on every call (an
    int for all sides, ``(left/right, top/bottom)`` or ``(left, top, right, bottom)``,
    filled per ``padding_mode``: ``'constant'`` with ``fill``, ``'edge'``, ``'reflect'``
    or ``'symmetric'``), and with ``pad_if_needed`` enough to reach ``size`` (added on
    both sides, as torchvision does). The window's corner is drawn with ``spindle.randint``."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _pair(size)
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self.padding_mode = padding_mode

    @staticmethod
    def get_params(img, output_size):
        """A random window ``(top, left, height, width)`` of ``output_size`` inside ``img``."""
        height, width = img.shape[-2], img.shape[-1]
        crop_height, crop_width = output_size
        if height < crop_height or width < crop_width:
            raise ValueError(
                f"Required crop size {(crop_height, crop_width)} is larger than input image size {(height, width)}"
            )
        if height == crop_height and width == crop_width:
            return 0, 0, height, width
        top = spindle.randint(0, height - crop_height + 1, size=(1,)).item()
        left = spindle.randint(0, width - crop_width + 1, size=(1,)).item()
        return top, left, crop_height, crop_width

    def __call__(self, img):
        _check_image_tensor(img)
        if self.padding is not None:
            img = _pad(img, self.padding, self.fill, self.padding_mode)
        if self.pad_if_needed and img.shape[-1] < self.size[1]:
            img = _pad(img, [self.size[1] - img.shape[-1], 0], self.fill, self.padding_mode)
        if self.pad_if_needed and img.shape[-2] < self.size[0]:
            img = _pad(img, [0, self.size[0] - img.shape[-2]], self.fill, self.padding_mode)
        top, left, height, width = self.get_params(img, self.size)
        return img[..., top : top + height, left : left + width]

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class RandomHorizontalFlip:
    """Mirrors a ``(..., H, W)`` tensor left-right with probability ``p`` (decided by
    ``spindle.rand(1) < p``)."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        _check_image_tensor(img)
        if spindle.rand(1).item() < self.p:
            return img.flip(-1)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class Lambda:
    """Wraps the callable ``lambd`` as a transform."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return f"{self.__class__.__name__}()"

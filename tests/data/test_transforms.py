"""Image transforms against torch arithmetic and NumPy (torchvision is not installable here)."""
import numpy as np
import pytest
import torch

import spindle
from spindle.data import transforms


def random_image(rng, shape=(3, 6, 5), dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("shape", [(4, 6, 3), (4, 6, 1), (5, 2)])
def test_to_tensor_scales_uint8_to_chw_floats(rng, shape):
    pixels = rng.integers(0, 256, size=shape).astype(np.uint8)
    tensor = transforms.ToTensor()(pixels)
    hwc = pixels if pixels.ndim == 3 else pixels[:, :, None]
    expected = torch.from_numpy(hwc.transpose(2, 0, 1).copy()).to(torch.get_default_dtype()).div(255)
    assert tensor.dtype == spindle.float32 and tuple(tensor.shape) == tuple(expected.shape)
    assert tensor.is_contiguous()
    np.testing.assert_allclose(tensor.numpy(), expected.numpy(), rtol=1e-6)


def test_to_tensor_keeps_other_dtypes_unscaled(rng):
    pixels = rng.standard_normal((3, 4, 2))
    tensor = transforms.ToTensor()(pixels)
    assert tensor.dtype == spindle.float64
    np.testing.assert_array_equal(tensor.numpy(), pixels.transpose(2, 0, 1))


def test_to_tensor_errors():
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 4 dimensions."):
        transforms.ToTensor()(np.zeros((1, 2, 3, 4), np.uint8))
    with pytest.raises(TypeError, match="pic should be a NumPy ndarray"):
        transforms.ToTensor()(spindle.zeros(3, 4, 4))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(3, 4, 5), (2, 3, 4, 5)])
def test_normalize_matches_torch(rng, dtype, shape):
    image = random_image(rng, shape, dtype)
    mean = rng.standard_normal(3).tolist()
    std = (rng.random(3) + 0.5).tolist()
    ours = transforms.Normalize(mean, std)(spindle.from_numpy(image))
    reference = torch.from_numpy(image)
    expected = (reference - torch.tensor(mean, dtype=reference.dtype).view(-1, 1, 1)) / torch.tensor(
        std, dtype=reference.dtype
    ).view(-1, 1, 1)
    assert ours.dtype == spindle.from_numpy(image).dtype
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)


def test_normalize_on_noncontiguous_input(rng):
    image = random_image(rng, (5, 4, 3))
    ours = transforms.Normalize((0.1, 0.2, 0.3), (1.0, 2.0, 4.0))(spindle.from_numpy(image).permute(2, 0, 1))
    expected = (image.transpose(2, 0, 1) - np.array([0.1, 0.2, 0.3], np.float32)[:, None, None]) / np.array(
        [1.0, 2.0, 4.0], np.float32
    )[:, None, None]
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-6)


def test_normalize_inplace_or_not(rng):
    image = random_image(rng)
    tensor = spindle.from_numpy(image.copy())
    out = transforms.Normalize((1.0,) * 3, (2.0,) * 3)(tensor)
    np.testing.assert_array_equal(tensor.numpy(), image)
    out_inplace = transforms.Normalize((1.0,) * 3, (2.0,) * 3, inplace=True)(tensor)
    np.testing.assert_allclose(tensor.numpy(), out.numpy())
    np.testing.assert_allclose(out_inplace.numpy(), out.numpy())


def test_normalize_errors():
    normalize = transforms.Normalize((0.5,), (0.5,))
    with pytest.raises(TypeError, match="Input tensor should be a float tensor. Got spindle.uint8"):
        normalize(spindle.zeros(1, 2, 2, dtype=spindle.uint8))
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\)"):
        normalize(spindle.zeros(2, 2))
    with pytest.raises(TypeError, match="img should be Tensor Image"):
        normalize(np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to spindle.float32"):
        transforms.Normalize((0.5, 0.5), (1.0, 0.0))(spindle.zeros(2, 2, 2))


@pytest.mark.parametrize("padding_mode", ["constant", "edge", "reflect", "symmetric"])
@pytest.mark.parametrize(
    "padding, numpy_widths",
    [(2, ((2, 2), (2, 2))), ([1, 3], ((3, 3), (1, 1))), ((1, 2, 3, 0), ((2, 0), (1, 3)))],
)
def test_padding_matches_numpy_pad(rng, padding_mode, padding, numpy_widths):
    image = random_image(rng, (2, 5, 4))
    height = 5 + sum(numpy_widths[0])
    width = 4 + sum(numpy_widths[1])
    # A crop of the full padded size has a single possible position: the padding alone is checked.
    crop = transforms.RandomCrop((height, width), padding=padding, fill=1.5, padding_mode=padding_mode)
    ours = crop(spindle.from_numpy(image))
    # torchvision's padding modes carry NumPy's names and meanings.
    options = {"constant_values": 1.5} if padding_mode == "constant" else {}
    expected = np.pad(image, ((0, 0),) + numpy_widths, mode=padding_mode, **options)
    np.testing.assert_array_equal(ours.numpy(), expected)


def test_reflect_padding_of_a_single_column_along_rows_only():
    image = spindle.arange(3, dtype=spindle.float32).view(1, 3, 1)
    padded = transforms.RandomCrop((5, 1), padding=(0, 1), padding_mode="reflect")(image)
    assert padded.view(-1).tolist() == [1.0, 0.0, 1.0, 2.0, 1.0]


def test_padding_keeps_uint8_and_matches_torch_constant_pad(rng):
    image = rng.integers(0, 256, size=(3, 4, 4)).astype(np.uint8)
    ours = transforms.RandomCrop(8, padding=2, fill=7)(spindle.from_numpy(image))
    expected = torch.nn.functional.pad(torch.from_numpy(image), (2, 2, 2, 2), value=7)
    assert ours.dtype == spindle.uint8
    np.testing.assert_array_equal(ours.numpy(), expected.numpy())


def test_random_crop_returns_a_window_of_the_padded_image(rng):
    image = random_image(rng, (3, 8, 9))
    padded = np.pad(image, ((0, 0), (4, 4), (4, 4)))
    seed = int(rng.integers(2**31))
    spindle.manual_seed(seed)
    crop = transforms.RandomCrop(8, padding=4)
    out = crop(spindle.from_numpy(image)).numpy()
    assert any(
        np.array_equal(padded[:, top : top + 8, left : left + 8], out) for top in range(9) for left in range(10)
    ), "the crop is not a window of the padded image"
    spindle.manual_seed(seed)
    np.testing.assert_array_equal(crop(spindle.from_numpy(image)).numpy(), out)


def test_random_crop_positions_vary():
    image = spindle.arange(100, dtype=spindle.float32).view(1, 10, 10)
    corners = {transforms.RandomCrop(3)(image)[0, 0, 0].item() for _ in range(60)}
    assert len(corners) > 10


def test_random_crop_pad_if_needed_pads_both_sides():
    image = spindle.ones(1, 2, 3)
    out = transforms.RandomCrop((4, 5), pad_if_needed=True)(image)
    assert tuple(out.shape) == (1, 4, 5)


def test_random_crop_errors():
    with pytest.raises(ValueError, match=r"Required crop size \(5, 5\) is larger than input image size \(4, 4\)"):
        transforms.RandomCrop(5)(spindle.zeros(1, 4, 4))
    with pytest.raises(ValueError, match="Padding must be an int or a 1, 2, or 4 element tuple, not a 3 element tuple"):
        transforms.RandomCrop(2, padding=(1, 2, 3))(spindle.zeros(1, 4, 4))
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge, reflect or symmetric"):
        transforms.RandomCrop(2, padding=1, padding_mode="wrap")(spindle.zeros(1, 4, 4))
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        transforms.RandomCrop(2, padding=4, padding_mode="reflect")(spindle.zeros(1, 4, 4))
    with pytest.raises(ValueError, match=r"Please provide only two dimensions \(h, w\) for size"):
        transforms.RandomCrop((1, 2, 3))


def test_random_horizontal_flip_extremes(rng):
    image = random_image(rng)
    flipped = transforms.RandomHorizontalFlip(p=1.0)(spindle.from_numpy(image))
    np.testing.assert_array_equal(flipped.numpy(), image[..., ::-1])
    kept = transforms.RandomHorizontalFlip(p=0.0)(spindle.from_numpy(image))
    np.testing.assert_array_equal(kept.numpy(), image)


def test_random_horizontal_flip_rate_and_seeding(rng):
    image = spindle.arange(2, dtype=spindle.float32).view(1, 1, 2)
    flip = transforms.RandomHorizontalFlip()
    seed = int(rng.integers(2**31))
    spindle.manual_seed(seed)
    decisions = [flip(image)[0, 0, 0].item() == 1 for _ in range(400)]
    # 400 fair coin flips: mean 200, standard deviation 10.
    assert 140 < sum(decisions) < 260
    spindle.manual_seed(seed)
    assert [flip(image)[0, 0, 0].item() == 1 for _ in range(400)] == decisions


def test_compose_applies_in_order_and_lambda():
    pipeline = transforms.Compose([transforms.Lambda(lambda x: x + 1), transforms.Lambda(lambda x: x * 10)])
    assert pipeline(1) == 20
    assert "Lambda()" in repr(pipeline)
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        transforms.Lambda(3)


def test_cifar_style_pipeline(rng):
    pixels = rng.integers(0, 256, size=(32, 32, 3)).astype(np.uint8)
    pipeline = transforms.Compose(
        [
            transforms.ToTensor(),
            transforms.RandomCrop(32, padding=4),
            transforms.RandomHorizontalFlip(),
            transforms.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)),
        ]
    )
    out = pipeline(pixels)
    assert tuple(out.shape) == (3, 32, 32) and out.dtype == spindle.float32


@pytest.mark.cuda
def test_transforms_on_cuda_tensors_match_cpu(rng):
    image = spindle.from_numpy(random_image(rng, (3, 8, 8)))
    pipeline = transforms.Compose(
        [
            transforms.RandomCrop(8, padding=2, padding_mode="reflect"),
            transforms.RandomHorizontalFlip(),
            transforms.Normalize((0.1, 0.2, 0.3), (0.5, 0.6, 0.7)),
        ]
    )
    seed = int(rng.integers(2**31))
    spindle.manual_seed(seed)
    on_cpu = pipeline(image)
    spindle.manual_seed(seed)
    on_gpu = pipeline(image.to("cuda"))
    assert on_gpu.device.type == "cuda"
    np.testing.assert_allclose(on_gpu.cpu().numpy(), on_cpu.numpy(), rtol=1e-6, atol=1e-6)

"""Tensor API: construction, metadata, dtypes and promotion, conversion, repr, views and in-place ops,
checked against PyTorch."""
import copy
import pickle

import numpy as np
import pytest
import torch

import spindle

rng = np.random.default_rng()


def test_tensor_dtype_inference_matches_torch():
    for data in ([1.0, 2.0], [1, 2], [True, False], [[1, 2.5]], 3, 2.5, True, np.float64(1.5)):
        assert spindle.tensor(data).dtype.name == str(torch.tensor(data).dtype).removeprefix("torch.")
    array = rng.standard_normal((2, 3))
    assert spindle.tensor(array).dtype is spindle.float64
    assert spindle.tensor(array, dtype=spindle.float32).dtype is spindle.float32


def test_legacy_constructor():
    assert spindle.Tensor([1, 2]).dtype is spindle.float32
    assert spindle.Tensor(2, 3).shape == (2, 3)
    assert spindle.Tensor(2, 3).shape == torch.Tensor(2, 3).shape


def test_metadata():
    x = spindle.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(-1) == 4
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24
    assert repr(x.shape) == "spindle.Size([2, 3, 4])"
    assert x.device == spindle.device("cpu") and str(x.device) == "cpu"
    assert x.stride() == torch.zeros(2, 3, 4).stride()
    assert x.transpose(0, 2).stride() == torch.zeros(2, 3, 4).transpose(0, 2).stride()
    assert x.is_contiguous() and not x.transpose(0, 1).is_contiguous()
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_shape_factories(name):
    for args in ((2, 3), ((2, 3),), ([4],)):
        assert getattr(spindle, name)(*args).shape == getattr(torch, name)(*args).shape
    assert getattr(spindle, name)(2, dtype=spindle.int32).dtype is spindle.int32
    like = getattr(spindle, name + "_like")(spindle.zeros(3, dtype=spindle.float64))
    assert like.shape == (3,) and like.dtype is spindle.float64


def test_value_factories_match_torch():
    pairs = [
        (spindle.arange(5), torch.arange(5)),
        (spindle.arange(1, 4, 0.5), torch.arange(1, 4, 0.5)),
        (spindle.arange(10, 0, -3), torch.arange(10, 0, -3)),
        (spindle.linspace(0, 1, 7), torch.linspace(0, 1, 7)),
        (spindle.eye(3, 4), torch.eye(3, 4)),
        (spindle.full((2, 2), 7), torch.full((2, 2), 7)),
        (spindle.full((2,), 1.5), torch.full((2,), 1.5)),
        (spindle.full_like(spindle.zeros(2), 3), torch.full_like(torch.zeros(2), 3)),
    ]
    for ours, theirs in pairs:
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_random_factories_and_seeding():
    spindle.manual_seed(123)
    first = (spindle.rand(3), spindle.randn(2, 2), spindle.randint(0, 5, (4,)), spindle.randperm(6))
    spindle.manual_seed(123)
    second = (spindle.rand(3), spindle.randn(2, 2), spindle.randint(0, 5, (4,)), spindle.randperm(6))
    for a, b in zip(first, second):
        assert np.array_equal(a.numpy(), b.numpy())
    assert first[0].dtype is spindle.float32 and first[2].dtype is spindle.int64
    assert sorted(first[3].tolist()) == list(range(6))
    values = spindle.rand(10000)
    assert 0 <= values.min().item() and values.max().item() < 1
    assert abs(spindle.randn(20000).std().item() - 1) < 0.05
    generator = spindle.Generator().manual_seed(7)
    a = spindle.randn(3, generator=generator)
    generator.manual_seed(7)
    assert np.array_equal(a.numpy(), spindle.randn(3, generator=generator).numpy())
    assert spindle.randn_like(a).shape == a.shape and spindle.rand_like(a).dtype is a.dtype


def test_from_numpy_shares_memory_and_numpy_round_trip():
    array = np.zeros(3, dtype=np.float32)
    tensor = spindle.from_numpy(array)
    tensor[1] = 5
    assert array[1] == 5
    array[0] = 2
    assert tensor[0].item() == 2
    assert tensor.numpy() is array
    with pytest.raises(TypeError):
        spindle.from_numpy(np.zeros(2, dtype=np.complex64))


def test_item_tolist_and_python_conversions():
    x = spindle.tensor([[1.5, 2.0]])
    assert x.tolist() == [[1.5, 2.0]]
    assert spindle.tensor(3).item() == 3 and isinstance(spindle.tensor(3).item(), int)
    assert float(spindle.tensor([2.5])) == 2.5
    with pytest.raises(RuntimeError, match="2 elements"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)
    assert len(x) == 1 and [row.shape for row in x] == [(2,)]


@pytest.mark.parametrize("method,dtype", [("float", "float32"), ("double", "float64"), ("long", "int64"), ("int", "int32"), ("bool", "bool"), ("half", "float16")])
def test_conversions(method, dtype):
    data = rng.standard_normal(5) * 3
    ours = getattr(spindle.tensor(data), method)()
    theirs = getattr(torch.tensor(data), method)()
    assert ours.dtype.name == dtype
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_to_variants():
    x = spindle.ones(2)
    assert x.to(spindle.float64).dtype is spindle.float64
    assert x.to("cpu") is x
    assert x.to(spindle.zeros(1, dtype=spindle.int64)).dtype is spindle.int64
    assert x.to("cpu", spindle.float16).dtype is spindle.float16
    assert x.to(dtype=spindle.float32, copy=True) is not x
    with pytest.raises(RuntimeError, match="CUDA is not available|cuda"):
        if spindle.backend.cupy_module() is None:
            x.to("cuda")
        else:
            raise RuntimeError("cuda present")


@pytest.mark.parametrize(
    "left,right",
    [
        ("int64", 2.5), ("int32", 2), ("float16", 2.5), ("bool", 1), ("bool", True), ("uint8", "int8"),
        ("int32", "float32"), ("float32", "float64"), ("int64", "bool"), ("float32", "float64_0d"), ("int64", "float64_0d"),
        ("int32_0d", "int64"), ("float16", "int64_0d"),
    ],
)
def test_type_promotion_matches_torch(left, right):
    def make(framework, spec):
        if not isinstance(spec, str):
            return spec
        name, _, zero_dim = spec.partition("_")
        shape = () if zero_dim else (3,)
        return framework.ones(shape, dtype=getattr(framework, name))

    ours = make(spindle, left) * make(spindle, right)
    theirs = make(torch, left) * make(torch, right)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")


def test_int_true_division_and_floor_ops_match_torch():
    a, b = [7, -7, 3], [2, 2, -2]
    for op in (lambda x, y: x / y, lambda x, y: x // y, lambda x, y: x % y):
        ours, theirs = op(spindle.tensor(a), spindle.tensor(b)), op(torch.tensor(a), torch.tensor(b))
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    np.testing.assert_allclose(
        spindle.tensor(a).div(spindle.tensor(b), rounding_mode="trunc").numpy(),
        torch.tensor(a).div(torch.tensor(b), rounding_mode="trunc").numpy(),
    )


def test_repr_matches_torch():
    cases = [
        lambda f: f.tensor([1.0, 2.0, 3.0]),
        lambda f: f.tensor([[1.5, -2.25], [3.0, 4.125]]),
        lambda f: f.tensor([1, 2, 3]),
        lambda f: f.tensor([True, False]),
        lambda f: f.tensor(2.5),
        lambda f: f.tensor([1.0, 2.0], dtype=f.float64),
        lambda f: f.tensor([1e-5, 1.0, 1e5]),
        lambda f: f.tensor([1.0, 2.0], requires_grad=True),
        lambda f: f.zeros(0),
        lambda f: f.arange(2000).reshape(40, 50),
    ]
    for make in cases:
        assert repr(make(spindle)) == repr(make(torch)).replace("torch.", "spindle.")
    ours = spindle.tensor([1.0], requires_grad=True) * 2
    assert repr(ours) == "tensor([2.], grad_fn=<MulBackward0>)"


def test_views_share_memory_and_write_through():
    base = spindle.zeros(3, 4)
    view = base[1]
    view += 1
    assert base[1].tolist() == [1, 1, 1, 1]
    column = base[:, 2]
    column.mul_(0).add_(7)
    assert base[:, 2].tolist() == [7, 7, 7]
    transposed = base.t()
    transposed[0, 1] = -1
    assert base[1, 0].item() == -1
    flat = base.view(-1)
    flat.zero_()
    assert base.sum().item() == 0
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        base.t().view(-1)
    assert base.t().reshape(-1).shape == (12,)


def test_in_place_arithmetic_matches_torch():
    data = rng.standard_normal((3, 4)).astype(np.float32)
    other = rng.standard_normal(4).astype(np.float32)
    ours, theirs = spindle.tensor(data), torch.tensor(data)
    for op in (
        lambda t, o: t.add_(o, alpha=2), lambda t, o: t.sub_(o), lambda t, o: t.mul_(o), lambda t, o: t.div_(o),
        lambda t, o: t.clamp_(-0.5, 0.5), lambda t, o: t.addcmul_(o, o, value=0.5), lambda t, o: t.addcdiv_(o, o.abs() + 1),
        lambda t, o: t.lerp_(o.expand(3, 4), 0.3), lambda t, o: t.pow_(2), lambda t, o: t.sqrt_(), lambda t, o: t.fill_(1.5),
        lambda t, o: t.masked_fill_(t > 1, 0.0), lambda t, o: t.copy_(o), lambda t, o: t.zero_(),
    ):
        op(ours, spindle.tensor(other))
        op(theirs, torch.tensor(other))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_in_place_errors_match_torch():
    integers = spindle.ones(3, dtype=spindle.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        integers += 1.5
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        spindle.ones(3).add_(spindle.ones(2, 3))
    with pytest.raises(RuntimeError, match="single memory location"):
        spindle.ones(1).expand(3).add_(1)


def test_in_place_bumps_version():
    x = spindle.zeros(3)
    before = x._version_number
    x.add_(1)
    x[0] = 2
    assert x._version_number == before + 2
    view = x[1:]
    view.mul_(2)
    assert x._version_number == before + 3


def test_pickle_and_deepcopy():
    x = spindle.randn(2, 3, requires_grad=True)
    y = pickle.loads(pickle.dumps(x))
    assert np.array_equal(x.detach().numpy(), y.detach().numpy()) and y.requires_grad
    z = copy.deepcopy(x)
    z.data.add_(1)
    assert not np.array_equal(x.detach().numpy(), z.detach().numpy())
    assert pickle.loads(pickle.dumps(spindle.float64)) is spindle.float64


def test_detach_shares_memory_and_data_property():
    x = spindle.ones(3, requires_grad=True)
    y = x.detach()
    assert not y.requires_grad
    y[0] = 5
    assert x[0].item() == 5
    x.data = spindle.zeros(3)
    assert x.sum().item() == 0 and x.requires_grad


def test_requires_grad_rules():
    with pytest.raises(RuntimeError, match="floating point"):
        spindle.ones(2, dtype=spindle.int64, requires_grad=True)
    y = spindle.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False
    assert not y.is_leaf and y.grad_fn is not None


def test_device_objects():
    assert spindle.device("cuda:1").index == 1 and spindle.device("cuda", 0).type == "cuda"
    assert spindle.device("cpu") == "cpu"
    with pytest.raises(RuntimeError):
        spindle.device("tpu")

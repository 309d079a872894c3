"""Matrix products against PyTorch: matmul in every rank combination (1-D operands, batches, broadcast
batches), mm, bmm, mv, dot, outer; non-contiguous operands; gradients, finite differences, second-order
gradients, and the errors for mismatched shapes."""
import pytest

from tests.ops.oracle import (
    DTYPES,
    LAYOUTS,
    assert_same_error,
    check_gradcheck,
    check_op,
    check_second_order,
    random_array,
)

# name -> (function, shape of a, shape of b)
PRODUCTS = {
    "vector @ vector": (lambda fw, a, b: a @ b, (4,), (4,)),
    "vector @ matrix": (lambda fw, a, b: fw.matmul(a, b), (4,), (4, 3)),
    "matrix @ vector": (lambda fw, a, b: a @ b, (3, 4), (4,)),
    "matrix @ matrix": (lambda fw, a, b: a.matmul(b), (3, 4), (4, 5)),
    "batch @ batch": (lambda fw, a, b: a @ b, (2, 3, 4), (2, 4, 5)),
    "broadcast batches": (lambda fw, a, b: fw.matmul(a, b), (2, 1, 3, 4), (5, 4, 2)),
    "vector @ batch": (lambda fw, a, b: a @ b, (4,), (2, 4, 3)),
    "batch @ vector": (lambda fw, a, b: a @ b, (2, 3, 4), (4,)),
    "batch @ matrix": (lambda fw, a, b: a @ b, (2, 3, 4), (4, 5)),
    "matrix @ batch": (lambda fw, a, b: fw.matmul(a, b), (3, 4), (2, 4, 5)),
    "mm": (lambda fw, a, b: fw.mm(a, b), (3, 4), (4, 5)),
    "mm method": (lambda fw, a, b: a.mm(b), (1, 4), (4, 1)),
    "bmm": (lambda fw, a, b: fw.bmm(a, b), (2, 3, 4), (2, 4, 5)),
    "mv": (lambda fw, a, b: fw.mv(a, b), (3, 4), (4,)),
    "dot": (lambda fw, a, b: a.dot(b), (4,), (4,)),
    "inner": (lambda fw, a, b: fw.inner(a, b), (4,), (4,)),
    "outer": (lambda fw, a, b: fw.outer(a, b), (3,), (4,)),
    "matrix @ matrix.mT": (lambda fw, a, b: a @ b.mT, (3, 4), (5, 4)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("name", PRODUCTS)
def test_products_match_torch(rng, name, layout, dtype):
    function, shape_a, shape_b = PRODUCTS[name]
    check_op(rng, function, random_array(rng, shape_a, dtype), random_array(rng, shape_b, dtype), layout=layout)


@pytest.mark.parametrize("name", PRODUCTS)
def test_products_gradcheck(rng, name):
    function, shape_a, shape_b = PRODUCTS[name]
    check_gradcheck(function, random_array(rng, shape_a), random_array(rng, shape_b))


@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize("name", PRODUCTS)
def test_products_second_order(rng, name, layout):
    function, shape_a, shape_b = PRODUCTS[name]
    check_second_order(rng, function, random_array(rng, shape_a), random_array(rng, shape_b), layout=layout)


def test_chained_products_second_order(rng):
    # A two-layer network's gradient differentiated again (the Hessian-vector product of a training loss).
    def network(fw, x, w1, w2):
        return ((x @ w1).tanh() @ w2).pow(2).sum()

    check_second_order(rng, network, random_array(rng, (5, 4)), random_array(rng, (4, 3)), random_array(rng, (3, 2)))


PRODUCT_ERRORS = {
    "matrix sizes": (lambda fw, a, b: a @ b, (3, 4), (5, 6), ("3x4", "5x6")),
    "vector sizes": (lambda fw, a, b: a @ b, (3, 4), (5,), ("3x4", "5")),
    "batch sizes": (lambda fw, a, b: a @ b, (2, 3, 4), (3, 5, 4), ("[2, 3, 4]", "[3, 5, 4]")),
    "contracted dim of batches": (lambda fw, a, b: a @ b, (2, 3, 4), (2, 5, 4), ("[2, 3, 4]", "[2, 5, 4]")),
    "0-dim operand": (lambda fw, a, b: fw.matmul(a.sum(), b), (3,), (3,), ("0D",)),
    "mm of a 3-dim tensor": (lambda fw, a, b: fw.mm(a, b), (2, 3, 4), (4, 5), ("3D",)),
    "bmm of batch sizes": (lambda fw, a, b: fw.bmm(a, b), (2, 3, 4), (3, 4, 5), ("2", "3")),
    "dot of different lengths": (lambda fw, a, b: fw.dot(a, b), (3,), (4,), ("3", "4")),
    "mixed dtypes": (lambda fw, a, b: a @ b.float(), (3, 4), (4, 2), ("float32", "float64")),
}


@pytest.mark.parametrize("name", PRODUCT_ERRORS)
def test_mismatched_products_raise_runtime_errors_naming_shapes(rng, name):
    function, shape_a, shape_b, mentions = PRODUCT_ERRORS[name]
    assert_same_error(function, random_array(rng, shape_a), random_array(rng, shape_b), mentions=mentions)

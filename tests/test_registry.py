"""The registry, the loader of a user's implementation, declared capabilities, and the helpers."""

import numpy as np
import pytest

import impls


def test_registry_names_and_get():
    """The three built-in implementations are registered and get() returns working instances."""
    assert impls.names() == ("loops", "numpy", "sympy")
    for name in impls.names():
        ce = impls.get(name)
        assert ce.name == name
        assert isinstance(ce, impls.SoftmaxCrossEntropy)


def test_get_unknown_name_lists_the_registered_ones():
    with pytest.raises(KeyError, match="no implementation called 'torch'.*loops, numpy, sympy"):
        impls.get("torch")


def test_register_refuses_a_duplicate_name():
    with pytest.raises(ValueError, match="already registered"):
        impls.register("numpy", impls.NumpySoftmaxCE)


@pytest.mark.parametrize("attr", ["MinimalSoftmaxCE", "minimal_instance"])
def test_load_class_or_instance(attr):
    """A class is instantiated; an instance is used as is; a missing name becomes the path."""
    ce = impls.load(f"tests.user_impls:{attr}")
    assert ce.name == f"tests.user_impls:{attr}"
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(4, 2)), rng.normal(size=(2, 3))
    Y = impls.one_hot([0, 1, 2, 0], 3)
    np.testing.assert_allclose(ce.grad(W, X, Y), impls.get("numpy").grad(W, X, Y), rtol=0, atol=1e-15)


def test_capabilities_default_for_a_minimal_implementation():
    """Nothing declared: float64 only, no weights, and hessian/hvp exactly when present."""
    caps = impls.capabilities_of(impls.load("tests.user_impls:MinimalSoftmaxCE"))
    assert caps.dtypes == (np.dtype(np.float64),)
    assert not caps.sample_weight and not caps.hessian and not caps.hvp


@pytest.mark.parametrize(
    "path, error, message",
    [
        ("tests.user_impls", ValueError, "expected 'package.module:attribute'"),
        ("tests.user_impls:", ValueError, "expected 'package.module:attribute'"),
        ("tests.no_such_module:X", ImportError, "cannot import module 'tests.no_such_module'"),
        ("tests.user_impls:NoSuchThing", AttributeError, "has no attribute 'NoSuchThing'"),
        ("tests.user_impls:NoGrad", TypeError, "missing the required method.*grad"),
        ("tests.user_impls:NeedsArguments", TypeError, "cannot be instantiated without arguments"),
        ("tests.user_impls:BadCapabilities", TypeError, "capabilities must be an impls.Capabilities"),
    ],
    ids=["no-colon", "no-attribute", "no-module", "missing-attribute", "missing-method", "needs-args", "bad-capabilities"],
)
def test_load_errors_say_what_is_wrong(path, error, message):
    with pytest.raises(error, match=message):
        impls.load(path)


def test_declared_capabilities():
    """Capabilities are declared per implementation, not guessed from names."""
    assert impls.capabilities_of(impls.get("numpy")).supports_dtype(np.float32)
    assert not impls.capabilities_of(impls.get("loops")).supports_dtype(np.float32)
    assert impls.capabilities_of(impls.get("sympy")).exact
    assert not impls.capabilities_of(impls.get("sympy")).handles(10, 10, 10)


def test_one_hot():
    Y = impls.one_hot([2, 0, 1], 3, dtype=np.float32)
    assert Y.dtype == np.float32
    np.testing.assert_array_equal(Y, np.eye(3, dtype=np.float32)[[2, 0, 1]])


@pytest.mark.parametrize(
    "labels, K, error, message",
    [
        ([0, 3], 3, ValueError, r"labels: values must lie in \[0, 3\)"),
        ([-1, 0], 3, ValueError, "labels: values must lie"),
        ([[0, 1]], 3, ValueError, "labels: expected a 1-D array"),
        ([0.5, 1.0], 3, TypeError, "labels: expected integer class labels"),
        ([0, 1], 1, ValueError, "K: expected an integer number of classes >= 2"),
    ],
)
def test_one_hot_errors(labels, K, error, message):
    with pytest.raises(error, match=message):
        impls.one_hot(labels, K)


def test_add_bias_appends_a_column_of_ones_in_the_same_dtype():
    X = np.arange(6, dtype=np.float32).reshape(3, 2)
    Xb = impls.add_bias(X)
    assert Xb.dtype == np.float32 and Xb.shape == (3, 3)
    np.testing.assert_array_equal(Xb[:, -1], 1)
    with pytest.raises(TypeError, match="X: expected a floating array"):
        impls.add_bias(np.ones((2, 2), dtype=int))

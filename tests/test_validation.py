"""Every kind of bad input gets a clear error naming the argument, from every implementation and method."""

import re
import warnings

import numpy as np
import pytest

import impls

rng = np.random.default_rng(0)
X0 = rng.normal(size=(3, 2))
W0 = rng.normal(size=(2, 3))
Y0 = impls.one_hot([0, 1, 2], 3)
V0 = rng.normal(size=(2, 3))
S0 = np.ones(3)

METHODS = ["probs", "loss", "grad", "loss_grad", "hessian", "hvp"]


def call(ce, method, W=W0, X=X0, Y=Y0, V=V0, sample_weight=None):
    if method == "probs":
        return ce.probs(W, X)
    kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
    if method == "hvp":
        return ce.hvp(W, X, Y, V, **kwargs)
    return getattr(ce, method)(W, X, Y, **kwargs)


def every_call(methods=METHODS):
    return [
        pytest.param(impls.get(name), method, id=f"{name}.{method}")
        for name in impls.names()
        for method in methods
    ]


def expect(error, argument, problem):
    """The error type, and a message that starts by naming the argument and contains the problem."""
    return pytest.raises(error, match=rf"^{re.escape(argument)}\b.*{problem}")


WITH_Y = [m for m in METHODS if m != "probs"]


@pytest.mark.parametrize("ce, method", every_call())
@pytest.mark.parametrize(
    "argument, bad, problem",
    [
        ("X", X0[0], "2-D"),
        ("W", W0[:1, :], "rows but X has D"),
        ("W", W0.ravel(), "2-D"),
    ],
    ids=["X-1d", "W-rows-disagree", "W-1d"],
)
def test_shape_errors(ce, method, argument, bad, problem):
    """Wrong number of dimensions and W that does not match X."""
    with expect(ValueError, argument, problem):
        call(ce, method, **{argument: bad})


@pytest.mark.parametrize("ce, method", every_call(WITH_Y))
def test_target_shape_must_agree(ce, method):
    """Y must have shape (N, K)."""
    with expect(ValueError, "Y", "expected shape"):
        call(ce, method, Y=Y0[:2])


@pytest.mark.parametrize("ce, method", every_call(["hvp"]))
def test_direction_shape_must_agree(ce, method):
    """V must have the shape of W."""
    with expect(ValueError, "V", "expected shape"):
        call(ce, method, V=V0[:, :2])


@pytest.mark.parametrize("ce, method", every_call())
@pytest.mark.parametrize("argument", ["X", "W"])
def test_integer_dtype_is_rejected(ce, method, argument):
    """Integer arrays where floats are needed."""
    bad = {"X": X0, "W": W0}[argument].round().astype(np.int64)
    with expect(TypeError, argument, "integer dtype"):
        call(ce, method, **{argument: bad})


@pytest.mark.parametrize("ce, method", every_call())
def test_complex_dtype_is_rejected(ce, method):
    """Non-real input."""
    with expect(TypeError, "X", "complex"):
        call(ce, method, X=X0.astype(np.complex128))


@pytest.mark.parametrize("ce, method", every_call())
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("argument", ["X", "W"])
def test_nan_and_inf_are_rejected(ce, method, value, argument):
    """NaN or Inf anywhere."""
    bad = {"X": X0, "W": W0}[argument].copy()
    bad[0, 1] = value
    with expect(ValueError, argument, "must be finite"):
        call(ce, method, **{argument: bad})


@pytest.mark.parametrize("ce, method", every_call(WITH_Y))
def test_nan_in_targets_is_rejected(ce, method):
    """NaN in Y."""
    bad = Y0.copy()
    bad[1, 1] = np.nan
    with expect(ValueError, "Y", "must be finite"):
        call(ce, method, Y=bad)


@pytest.mark.parametrize("ce, method", every_call(WITH_Y))
def test_negative_targets_are_rejected(ce, method):
    """Y rows with a negative entry (summing to 1 all the same)."""
    bad = np.array([[1.5, -0.5, 0.0], [0, 1, 0], [0, 0, 1]])
    with expect(ValueError, "Y", "negative"):
        call(ce, method, Y=bad)


@pytest.mark.parametrize("ce, method", every_call(WITH_Y))
def test_targets_must_sum_to_one(ce, method):
    """Y rows that do not sum to 1 within K * eps."""
    with expect(ValueError, "Y", "sums to .* not 1"):
        call(ce, method, Y=2 * Y0)


@pytest.mark.parametrize("ce, method", every_call())
def test_no_samples(ce, method):
    """N = 0."""
    with expect(ValueError, "X", r"N = 0"):
        call(ce, method, X=np.zeros((0, 2)), Y=np.zeros((0, 3)))


@pytest.mark.parametrize("ce, method", every_call())
def test_no_features(ce, method):
    """D = 0."""
    with expect(ValueError, "X", r"D = 0"):
        call(ce, method, X=np.zeros((3, 0)), W=np.zeros((0, 3)), V=np.zeros((0, 3)))


@pytest.mark.parametrize("ce, method", every_call())
def test_fewer_than_two_classes(ce, method):
    """K < 2."""
    with expect(ValueError, "W", r"K >= 2"):
        call(ce, method, W=W0[:, :1], Y=np.ones((3, 1)), V=V0[:, :1])


@pytest.mark.parametrize("ce, method", every_call(WITH_Y))
def test_negative_sample_weights(ce, method):
    """s_i < 0."""
    with expect(ValueError, "sample_weight", "negative"):
        call(ce, method, sample_weight=np.array([1.0, -1.0, 1.0]))


@pytest.mark.parametrize("ce, method", every_call(WITH_Y))
def test_all_zero_sample_weights(ce, method):
    """All s_i = 0."""
    with expect(ValueError, "sample_weight", "all weights are zero"):
        call(ce, method, sample_weight=np.zeros(3))


@pytest.mark.parametrize("ce, method", every_call(WITH_Y))
def test_sample_weight_shape(ce, method):
    """sample_weight must have shape (N,)."""
    with expect(ValueError, "sample_weight", "expected shape"):
        call(ce, method, sample_weight=np.ones(4))


@pytest.mark.parametrize("ce, method", every_call())
def test_mixed_dtypes_are_rejected(ce, method):
    """Arguments in different dtypes (implementations compute in the dtype they are given)."""
    with expect(TypeError, "X", "has dtype float32 but W has dtype float64"):
        call(ce, method, X=X0.astype(np.float32))


@pytest.mark.parametrize("ce, method", every_call())
def test_undeclared_dtype_is_rejected(ce, method):
    """float32 everywhere is rejected by an implementation that declares only float64, and accepted otherwise."""
    args = dict(W=W0.astype(np.float32), X=X0.astype(np.float32), Y=Y0.astype(np.float32), V=V0.astype(np.float32))
    if impls.capabilities_of(ce).supports_dtype(np.float32):
        result = call(ce, method, **args)
        first = result[1] if method == "loss_grad" else result
        assert np.asarray(first).dtype == np.float32
    else:
        with expect(TypeError, "W", "float32 is not supported"):
            call(ce, method, **args)


def test_error_messages_do_not_come_from_numpy_internals():
    """A ragged list is reported as the argument that cannot be read, not as a NumPy traceback."""
    with expect(TypeError, "X", "cannot be read as an array"):
        impls.get("numpy").loss(W0, [[1.0, 2.0], [3.0]], Y0)


# Finite inputs whose logits overflow: z = x . w = +-2e400 in float64, +-2e40 in float32.
def _overflowing(dtype):
    big = {np.dtype(np.float64): 1e200, np.dtype(np.float32): 1e20}[np.dtype(dtype)]
    X = np.full((2, 2), big, dtype=dtype)  # N*D*K = 12: within every implementation's declared Hessian size
    W = np.full((2, 3), big, dtype=dtype)
    W[:, 0] *= -1
    return dict(W=W, X=X, Y=Y0[:2].astype(dtype), V=W.copy())


@pytest.mark.parametrize("ce, method", every_call())
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_overflowing_results_are_an_error(ce, method, dtype):
    """Logits beyond the dtype's range: a ValueError naming X and W, not Inf, NaN or a NumPy warning."""
    if not impls.capabilities_of(ce).supports_dtype(dtype):
        pytest.skip(f"{ce.name} does not compute in {np.dtype(dtype).name}")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with expect(ValueError, "X", f"overflows {np.dtype(dtype).name}"):
            call(ce, method, **_overflowing(dtype))


@pytest.mark.parametrize("ce, method", every_call(["probs", "grad"]))
def test_logit_overflowing_where_its_probability_is_zero_is_no_error(ce, method):
    """z = (-inf, 1, 2) after overflow gives the probabilities and gradient of (-1000, 1, 2), to rounding."""
    X = np.array([[1e200, 1.0]])
    W = np.array([[-1e200, 0.0, 0.0], [0.0, 1.0, 2.0]])
    Y = np.array([[0.0, 0.5, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = call(ce, method, W=W, X=X, Y=Y)
    P = np.exp([1.0, 2.0]) / np.exp([1.0, 2.0]).sum()
    expected = np.array([[0.0, *P]]) if method == "probs" else np.outer(X[0], np.array([0.0, *P]) - Y[0])
    np.testing.assert_allclose(result, expected, rtol=4 * np.finfo(np.float64).eps, atol=0)

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
    """Logits beyond the dtype's range: a ValueError naming X and W, not Inf, NaN or a NumPy warning.

    An implementation that evaluates exactly (SymPy, in mpmath where floats overflow) may instead return
    the exact result where it is finite (probabilities 0 and 1, the gradient): it is then the high-precision one.
    """
    from verify.numerics import precision

    if not impls.capabilities_of(ce).supports_dtype(dtype):
        pytest.skip(f"{ce.name} does not compute in {np.dtype(dtype).name}")
    args = _overflowing(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            result = call(ce, method, **args)
        except ValueError as exc:
            assert re.match(rf"^X\b.*overflows {np.dtype(dtype).name}", str(exc)), str(exc)
            return
        except ArithmeticError as exc:  # SymPy: no precision resolves this one's cancellation
            assert impls.capabilities_of(ce).exact and re.match(r"^X, W: .* is not pinned to one float64", str(exc))
            return
    assert impls.capabilities_of(ce).exact, f"{ce.name}.{method} returned {result!r} where its result overflows"
    # Logits of 2e400: mpmath needs 400 digits beyond its usual 50 for lse(z) - z_k to keep any, and 200 more
    # for the sum over samples of x_n (p_n - y_n) with x_n = 1e200 to cancel exactly.
    digits = precision.HIGH_PRECISION_DIGITS + 600
    def hvp():
        # By construction: V = W, whose columns 1 and 2 are tied (probability 1/2 each) and column 0 has
        # probability 0, so U - <P, U> is 0 where P is not: H[V] = X^T (P o (U - <P, U>)) / N = 0 exactly.
        return np.zeros(args["V"].shape, dtype=object)

    exact = {"probs": lambda: precision.probs(args["W"], args["X"], digits),
             "loss": lambda: precision.cross_entropy(args["W"], args["X"], args["Y"], digits=digits),
             "grad": lambda: precision.gradient(args["W"], args["X"], args["Y"], digits=digits),
             "loss_grad": lambda: precision.gradient(args["W"], args["X"], args["Y"], digits=digits),
             "hessian": lambda: precision.hessian(args["W"], args["X"], digits=digits),
             "hvp": hvp}[method]()
    if method == "loss_grad":
        result = result[1]
    exact = precision.as_float(exact)
    tol = 8 * float(np.finfo(dtype).eps)  # normwise: entries that cancel to 0 are 0 to that much of the largest
    np.testing.assert_allclose(result, exact, rtol=tol, atol=tol * float(np.max(np.abs(exact))))


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


# ---------------------------------------------- issue 17: scale, overflow, size

EPS64 = float(np.finfo(np.float64).eps)


@pytest.mark.parametrize("ce, method", every_call(WITH_Y))
@pytest.mark.parametrize("dtype, huge", [(np.float64, 1e308), (np.float32, 2e38)], ids=["float64", "float32"])
def test_huge_sample_weights_give_the_answer_of_unit_weights(ce, method, dtype, huge):
    """The weighted mean is scale-invariant: [huge, huge] gives what [1, 1] gives (their sum would overflow)."""
    if not impls.capabilities_of(ce).supports_dtype(dtype):
        pytest.skip(f"{ce.name} does not compute in {np.dtype(dtype).name}")
    # N*D*K = 12: within every implementation's declared Hessian size.
    args = {k: v.astype(dtype) for k, v in dict(W=W0, X=X0[:2], Y=Y0[:2], V=V0).items()}
    unit = call(ce, method, sample_weight=np.ones(2, dtype=dtype), **args)
    scaled = call(ce, method, sample_weight=np.full(2, huge, dtype=dtype), **args)
    # The scaled weights are huge * 2^-e, not 1: the mean rounds differently, by a few eps of its terms.
    tol = 16 * float(np.finfo(dtype).eps)
    for got, want in zip(scaled if method == "loss_grad" else (scaled,), unit if method == "loss_grad" else (unit,)):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol * float(np.max(np.abs(want))))
        assert np.asarray(got).dtype == dtype


@pytest.mark.parametrize("ce", [impls.get(n) for n in impls.names()], ids=impls.names())
def test_readme_overflow_case_gets_its_finite_loss(ce):
    """A logit of -1e400 whose target is 0 is no error: the loss is the high-precision one, in every implementation."""
    from verify.numerics import precision

    W = np.array([[-1e200, 0, 1e-200]])
    X = np.array([[1e200], [5e199]])
    Y = np.array([[0, 0.5, 0.5], [0, 1, 0]])
    exact = float(precision.cross_entropy(W, X, Y))
    assert abs(exact - 0.8937) < 1e-4
    np.testing.assert_allclose(ce.loss(W, X, Y), exact, rtol=8 * EPS64)


@pytest.mark.parametrize("name", ["loops", "numpy"])
def test_hessian_with_saturated_probabilities_and_huge_x_is_about_zero(name):
    """X ~ 1e300, W ~ 1: x x^T overflows but multiplies p (1 - p) = 0 exactly; the Hessian is 0, not an error.

    (SymPy's expression of it cancels ``p - p^2`` for ``1 - p = e^-1e300``, beyond any precision: it raises.)
    """
    H = impls.get(name).hessian(np.array([[1.0, 2.0]]), np.array([[1e300]]), np.array([[0.0, 1.0]]))
    np.testing.assert_array_equal(H, np.zeros((2, 2)))


@pytest.mark.parametrize("ce", [impls.get(n) for n in impls.names()], ids=impls.names())
def test_hvp_without_direction_names_V(ce):
    with expect(TypeError, "V", "got None"):
        ce.hvp(W0, X0, Y0, None)


def test_mixed_dtype_rows_are_refused():
    """A list of a float32 and a float64 row would be promoted silently; it is refused, naming the argument."""
    with expect(TypeError, "X", "mixes entries of dtypes float32, float64"):
        impls.get("numpy").loss(W0, [X0[0].astype(np.float32), X0[1], X0[2]], Y0)


@pytest.mark.parametrize("name", ["loops", "sympy"])
def test_slow_implementations_refuse_beyond_their_declared_size_up_front(name):
    """loops and SymPy refuse a problem beyond max_size at once, with its size, instead of running for minutes."""
    import time

    ce = impls.get(name)
    limit = impls.capabilities_of(ce).max_size
    N = limit // 2 + 1  # N * D * K = N * 1 * 2 > limit
    X, W, Y = np.ones((N, 1)), np.zeros((1, 2)), impls.one_hot(np.zeros(N, dtype=int), 2)
    start = time.perf_counter()
    with expect(ValueError, "X, W", rf"N\*D\*K = {2 * N} exceeds this implementation's declared max_size {limit}"):
        ce.loss(W, X, Y)
    assert time.perf_counter() - start < 1.0


def test_probs_too_large_to_hold_is_refused_with_its_size(monkeypatch):
    """The (N, K) result itself cannot be streamed: an allocation that fails is reported with the size, naming X, W."""
    real_empty = np.empty

    def empty(shape, *args, **kwargs):  # this one result shape "does not fit in memory"
        if tuple(np.atleast_1d(shape)) == (3, 3):
            raise MemoryError()
        return real_empty(shape, *args, **kwargs)

    monkeypatch.setattr(np, "empty", empty)
    with pytest.raises(MemoryError, match=r"^X, W: probs returns an \(N, K\) = \(3, 3\) array of .* GiB"):
        impls.get("numpy").probs(W0, X0)


def test_a_logit_whose_float_sum_overflows_keeps_its_sign():
    """x = (-1e307, -1e307), w = (-100, 200): the products 1e309 and -2e309 overflow and the matrix product gave
    the logit +inf for the exact -1e309, a probability 1 where it is 0 (found by the thorough fuzzer profile)."""
    X = np.array([[0.0, 0.0], [-1e307, -1e307]])
    W = np.array([[-100.0, 0.0], [200.0, 0.0]])
    for name in ("numpy", "sympy"):
        np.testing.assert_array_equal(impls.get(name).probs(W, X), [[0.5, 0.5], [0.0, 1.0]])

"""The reweighted loss family (impls.reweighted) and the heads that train it (verify.catalog.li2020.heads).

Gradients and Hessians against finite differences (verify.numerics.derivatives),
loops vs NumPy agreement, validation messages, stability, the candidate's
defining properties, and that the heads reach stationarity and are cached.
"""

import mpmath
import numpy as np
import pytest

from impls import reweighted as rw
from verify.catalog.li2020 import heads
from verify.catalog.li2020 import tolerances as tol
from verify.numerics.derivatives import check_gradient, check_hessian

N, D, K = 7, 3, 4


def problem(seed=0, scale=3.0, binary=False):
    """A small problem: X (N, D), W (D, K) or (D, 1), and targets for the loss kind."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    labels = np.arange(N) % K  # every class present
    rng.shuffle(labels)
    if binary:
        return X, rng.normal(size=(D, 1)) * scale, (labels % 2).astype(np.float64)[:, None]
    Y = np.zeros((N, K))
    Y[np.arange(N), labels] = 1.0
    return X, rng.normal(size=(D, K)) * scale, Y


OMEGA = np.random.default_rng(5).uniform(0.0, 2.0, size=(N, K))

# (loss name, hyperparameters, weight scale for the tolerances, gamma)
CONFIGS = [
    ("binary_logistic", dict(class_weight=[2.0, 0.7]), 2.0, 0.0),
    ("softmax", dict(class_weight=[1.0, 2.0, 3.0, 0.5]), 3.0, 0.0),
    ("one_vs_all", dict(positive_weight=[1.0, 2.0, 3.0, 0.5], negative_weight=[0.3, 1.0, 1.0, 2.0]), 3.0, 0.0),
    ("non_target_weighted", dict(omega=OMEGA), 2.0, 0.0),
    ("candidate_inr", dict(gamma=1.5), 1.0, 1.5),
    ("candidate_inr_detached", dict(gamma=1.5), 1.0, 1.5),
]
CASES = [(impl, *c) for impl in rw.names() for c in CONFIGS]
IDS = [f"{impl}-{c[0]}" for impl, *c in CASES]


def build(impl, name, params):
    return rw.get(impl, name, **params)


def data_for(loss, seed=0):
    return problem(seed, binary=loss.capabilities.binary)


# derivative -> (its checker, the function it differentiates, the capability that must be declared, why else skipped)
DERIVATIVES = {
    "grad": (check_gradient, "loss", "gradient_is_derivative",
             "stop-gradient form: see test_stop_gradient_is_frozen_gradient"),
    "hessian": (check_hessian, "grad", "hessian", "no Hessian declared"),
}


@pytest.mark.parametrize("derivative", sorted(DERIVATIVES))
@pytest.mark.parametrize("impl, name, params, scale, gamma", CASES, ids=IDS)
def test_derivative_matches_differences(impl, name, params, scale, gamma, derivative):
    """grad equals Richardson differences of loss, hessian those of grad, wherever the loss declares them."""
    checker, of, capability, why_not = DERIVATIVES[derivative]
    loss = build(impl, name, params)
    if not getattr(loss.capabilities, capability):
        pytest.skip(why_not)
    X, W, Y = data_for(loss)
    check = checker(lambda W_: getattr(loss, of)(W_, X, Y), lambda W_: getattr(loss, derivative)(W_, X, Y), W,
                    method="richardson")
    assert check.passed, check.to_dict()


@pytest.mark.parametrize("name, params, scale, gamma", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_implementations_agree(name, params, scale, gamma):
    """loops and numpy agree on probs, loss, grad (and hessian) within the derived tolerances."""
    a, b = build("numpy", name, params), build("loops", name, params)
    X, W, Y = data_for(a, seed=3)
    tols = tol.li_agreement_tolerances(X, W, weight_scale=scale, gamma=gamma)
    np.testing.assert_allclose(a.probs(W, X), b.probs(W, X), rtol=0, atol=tols["probs"])
    np.testing.assert_allclose(a.loss(W, X, Y), b.loss(W, X, Y), rtol=0, atol=tols["loss"])
    np.testing.assert_allclose(a.grad(W, X, Y), b.grad(W, X, Y), rtol=0, atol=tols["grad"])
    if a.capabilities.hessian:
        np.testing.assert_allclose(a.hessian(W, X, Y), b.hessian(W, X, Y), rtol=0, atol=tols["hessian"])


@pytest.mark.parametrize("impl, name, params, scale, gamma", CASES, ids=IDS)
def test_linear_lift_is_logit_gradient(impl, name, params, scale, gamma):
    """loss_grad(W, X, Y) is (logit_loss(XW), X^T logit_grad(XW)): the lift adds only the product with X."""
    loss = build(impl, name, params)
    X, W, Y = data_for(loss, seed=4)
    L, G = loss.loss_grad(W, X, Y)
    L_z, G_z = loss.logit_loss_grad(X @ W, Y)
    tols = tol.li_agreement_tolerances(X, W, weight_scale=scale, gamma=gamma)
    np.testing.assert_allclose(L, L_z, rtol=0, atol=tols["loss"])
    np.testing.assert_allclose(G, X.T @ G_z, rtol=0, atol=tols["grad"])


@pytest.mark.parametrize("impl", rw.names())
def test_stop_gradient_is_frozen_gradient(impl):
    """The detached candidate's grad is the gradient of the loss with omega frozen at the current logits."""
    X, W, Y = problem(6)
    detached = rw.get(impl, "candidate_inr_detached", gamma=2.0)
    omega = detached.candidate_weights(X @ W, Y)
    frozen = rw.get(impl, "non_target_weighted", omega=omega)
    np.testing.assert_allclose(detached.grad(W, X, Y), frozen.grad(W, X, Y), rtol=0,
                               atol=tol.li_gradient_agreement_tolerance(X, detached.logit_grad(X @ W, Y)))
    np.testing.assert_allclose(detached.loss(W, X, Y), frozen.loss(W, X, Y), rtol=0,
                               atol=tol.li_agreement_tolerances(X, W, gamma=2.0)["loss"])
    full = check_gradient(lambda W_: detached.loss(W_, X, Y), lambda W_: detached.grad(W_, X, Y), W, method="richardson")
    assert not full.passed, "with gamma > 0 the stop-gradient grad must differ from the derivative of the loss"


@pytest.mark.parametrize("impl", rw.names())
@pytest.mark.parametrize("name", ["candidate_inr", "candidate_inr_detached"])
def test_candidate_at_gamma_zero_is_one_vs_all(impl, name):
    """At gamma = 0 the candidate's loss and gradient equal unweighted one-vs-all LGL to 1e-12 (catalog B.6)."""
    X, W, Y = problem(7)
    cand, lgl = rw.get(impl, name, gamma=0.0), rw.get(impl, "one_vs_all")
    assert np.all(cand.candidate_weights(X @ W, Y)[Y == 0] == 1.0)
    L, G = cand.loss_grad(W, X, Y)
    L0, G0 = lgl.loss_grad(W, X, Y)
    np.testing.assert_allclose(L, L0, rtol=tol.LI_GAMMA0_RTOL, atol=0)
    np.testing.assert_allclose(G, G0, rtol=0, atol=tol.LI_GAMMA0_RTOL * max(1.0, float(np.max(np.abs(G0)))))


@pytest.mark.parametrize("gamma", [0.5, 1.0, 3.0])
def test_candidate_weights_favour_hard_classes(gamma):
    """omega sums to K - 1 over each sample's non-targets and increases with p_ik."""
    X, W, Y = problem(8, scale=5.0)
    Z = X @ W
    cand = rw.get("numpy", "candidate_inr", gamma=gamma)
    omega = cand.candidate_weights(Z, Y)
    P = cand.logit_probs(Z)
    np.testing.assert_allclose(np.where(Y == 1, 0, omega).sum(axis=1), K - 1, rtol=0, atol=tol.li_weight_sum_tolerance(K))
    assert np.all(omega[Y == 1] == 0)
    for i in range(N):
        nt = np.flatnonzero(Y[i] == 0)
        order = nt[np.argsort(P[i, nt])]
        assert np.all(np.diff(omega[i, order]) >= -tol.li_weight_order_tolerance(gamma, 50.0) * omega[i, order][1:])


@pytest.mark.parametrize("impl", rw.names())
@pytest.mark.parametrize("name", rw.losses())
def test_extreme_logits_finite(impl, name):
    """At logits of magnitude 1e4 every loss and gradient is finite and raises no overflow/invalid/divide."""
    params = {"omega": np.ones((2, 4))} if name == "non_target_weighted" else {}
    loss = rw.get(impl, name, **params)
    Z = np.array([[1e4, -1e4, 0.0, 800.0], [-800.0, 3.0, 1e4, -1e4]])
    Y = np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    if loss.capabilities.binary:
        Z, Y = Z[:, :1], np.array([[0.0], [1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        L, G = loss.logit_loss_grad(Z, Y)
    assert np.isfinite(L) and np.all(np.isfinite(G))


@pytest.mark.parametrize("impl", rw.names())
@pytest.mark.parametrize("gap", [10.0, 100.0])
def test_softmax_loss_below_eps_is_kept(impl, gap):
    """CE at z = (gap, 0) on the top class is log1p(e^-gap): 4.54e-5 and 3.72e-44, below eps beside 1.

    The loops form m + log(sum e^(z - m)) - z gave 4.54e-5 to 11 digits and 0 for 3.72e-44 (the fuzzer's
    find). log1p itself is correctly rounded to within an ulp or two; the sum adds one rounding.
    """
    loss = rw.get(impl, "softmax")
    Z, Y = np.array([[gap, 0.0]]), np.array([[1.0, 0.0]])
    exact = np.log1p(np.exp(-gap))
    np.testing.assert_allclose(loss.logit_loss(Z, Y), exact, rtol=4 * np.finfo(np.float64).eps, atol=0)


@pytest.mark.parametrize("impl", rw.names())
@pytest.mark.parametrize("dtype, W, X, weight", [
    (np.float32, 0.75, 150.0, 2.5e19),  # z = 112.5: sigma(-z) = 1e-49 is below float32 (the fuzzer's find)
    (np.float64, 1e-297, 1e300, 1.0),  # z = 1000: sigma(-z) = 1e-435 below float64, x^2 = 1e600 beyond it
])
def test_logistic_hessian_keeps_p_times_1_minus_p_below_the_dtypes_range(impl, dtype, W, X, weight):
    """H = w x^2 p (1 - p) / N, a representable number whose factor p (1 - p) is not: it came out 0."""
    loss = rw.get(impl, "binary_logistic", class_weight=[weight, weight])
    if np.dtype(dtype) not in loss.capabilities.dtypes:
        pytest.skip(f"{impl} computes in float64 only")
    H = loss.hessian(np.array([[W]], dtype), np.array([[X]], dtype), np.zeros((1, 1), dtype))
    z = mpmath.mpf(X) * mpmath.mpf(W)
    with mpmath.workdps(60):
        exact = float(weight * mpmath.mpf(X) ** 2 * mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2)
    # exp, the square roots and three products, each rounded once
    np.testing.assert_allclose(H, [[exact]], rtol=16 * float(np.finfo(dtype).eps), atol=0)


@pytest.mark.parametrize("name, params, scale, gamma", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_dtype_kept(name, params, scale, gamma):
    """The NumPy implementation computes in the dtype it is given (float32 in, float32 out)."""
    loss = build("numpy", name, params)
    X, W, Y = data_for(loss)
    X32, W32, Y32 = (a.astype(np.float32) for a in (X, W, Y))
    assert np.asarray(loss.loss(W32, X32, Y32)).dtype == np.float32
    assert loss.grad(W32, X32, Y32).dtype == np.float32


def test_registry():
    """names() lists the implementations, losses() the losses; every candidate says so."""
    assert rw.names() == ("loops", "numpy")
    assert set(rw.losses()) == {"binary_logistic", "softmax", "one_vs_all", "non_target_weighted",
                                "candidate_inr", "candidate_inr_detached"}
    for impl in rw.names():
        for name in rw.losses():
            params = {"omega": np.ones((2, 3))} if name == "non_target_weighted" else {}
            loss = rw.get(impl, name, **params)
            assert isinstance(loss, rw.ReweightedLoss)
            assert loss.capabilities.candidate == ("candidate" in name)
            if loss.capabilities.candidate:
                assert "CANDIDATE" in type(loss).__doc__
    with pytest.raises(KeyError, match="name: no implementation"):
        rw.get("fortran", "softmax")
    with pytest.raises(KeyError, match="loss: no loss"):
        rw.get("numpy", "focal")


def test_softmax_delegates_to_softmax_interface():
    """Weighted SML equals impls.get("numpy") with sample weights alpha_{y_i}, rescaled to the mean over samples."""
    import impls

    X, W, Y = problem(9)
    a = np.array([1.0, 2.0, 3.0, 0.5])
    s = Y @ a
    ce = impls.get("numpy")
    sml = rw.get("numpy", "softmax", class_weight=a)
    np.testing.assert_allclose(sml.loss(W, X, Y), ce.loss(W, X, Y, sample_weight=s) * s.sum() / N, rtol=1e-15, atol=0)
    L_z = sml.logit_loss(X @ W, Y)
    np.testing.assert_allclose(L_z, sml.loss(W, X, Y), rtol=0, atol=tol.li_agreement_tolerances(X, W, 3.0)["loss"])


BAD = [
    ("class_weight", lambda: rw.get("numpy", "softmax", class_weight=[1.0, -2.0]), ValueError),
    ("class_weight", lambda: rw.get("numpy", "softmax", class_weight=[1.0, np.nan]), ValueError),
    ("class_weight", lambda: rw.get("numpy", "binary_logistic", class_weight=[1.0, 2.0, 3.0]), ValueError),
    ("class_weight", lambda: rw.get("numpy", "softmax", class_weight=["a", "b"]), TypeError),
    ("positive_weight", lambda: rw.get("numpy", "one_vs_all", positive_weight=[[1.0, 2.0]]), ValueError),
    ("gamma", lambda: rw.get("numpy", "candidate_inr", gamma=-1.0), ValueError),
    ("gamma", lambda: rw.get("numpy", "candidate_inr", gamma=float("nan")), ValueError),
    ("gamma", lambda: rw.get("numpy", "candidate_inr", gamma=True), TypeError),
    ("omega", lambda: rw.get("numpy", "non_target_weighted", omega=-np.ones((2, 3))), ValueError),
    ("omega", lambda: rw.get("numpy", "non_target_weighted", omega=np.ones(3)), ValueError),
]


@pytest.mark.parametrize("argument, make, error", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_hyperparameters(argument, make, error):
    """A bad hyperparameter is rejected at construction, the message starting with its name."""
    with pytest.raises(error, match=f"^{argument}:"):
        make()


def _calls():
    X, W, Y = problem(10)
    Xb, Wb, Yb = problem(10, binary=True)
    one_hot_bad = Y.copy()
    one_hot_bad[0] = [0.5, 0.5, 0.0, 0.0]
    unit_bad = Y.copy()
    unit_bad[0, 0] = 1.5
    return [
        ("Y", "candidate_inr", {}, (W, X, one_hot_bad), ValueError),
        ("Y", "one_vs_all", {}, (W, X, unit_bad), ValueError),
        ("Y", "softmax", {}, (W, X, Y * 2), ValueError),
        ("Y", "softmax", {}, (W, X, Y[:-1]), ValueError),
        ("W", "binary_logistic", {}, (W, X, Y), ValueError),
        ("W", "softmax", {}, (Wb, Xb, Yb), ValueError),
        ("W", "softmax", {}, (W[:-1], X, Y), ValueError),
        ("X", "softmax", {}, (W, X.astype(np.int64), Y), TypeError),
        ("X", "softmax", {}, (W, np.where(X == X[0, 0], np.nan, X), Y), ValueError),
        ("Y", "softmax", {}, (W, X, Y.astype(np.float32)), TypeError),
        ("class_weight", "softmax", {"class_weight": [1.0, 2.0]}, (W, X, Y), ValueError),
        ("omega", "non_target_weighted", {"omega": np.ones((N + 1, K))}, (W, X, Y), ValueError),
    ]


@pytest.mark.parametrize("impl", rw.names())
@pytest.mark.parametrize("case", range(len(_calls())))
def test_bad_arguments(impl, case):
    """A bad argument gets a TypeError or ValueError whose message starts with the argument's name."""
    argument, name, params, args, error = _calls()[case]
    loss = rw.get(impl, name, **params)
    with pytest.raises(error, match=f"^{argument}:"):
        loss.loss(*args)


def test_logit_level_validation():
    """The logit-level methods validate too (Z's shape, finiteness)."""
    loss = rw.get("numpy", "one_vs_all")
    with pytest.raises(ValueError, match="^Z:"):
        loss.logit_loss(np.array([[np.inf, 0.0]]), np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match="^Y:"):
        loss.logit_loss(np.zeros((2, 3)), np.zeros((2, 2)))


# --------------------------------------------------------------------------
# verify.catalog.li2020.heads
# --------------------------------------------------------------------------


def synthetic(seed=0, n=80, d=4, k=3):
    """Overlapping Gaussian classes (no scikit-learn needed)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % k
    X = rng.normal(size=(n, d)) + 1.5 * rng.normal(size=(k, d))[labels]
    Y = np.zeros((n, k))
    Y[np.arange(n), labels] = 1.0
    return X, labels, Y


HEAD_LOSSES = [
    ("softmax", {"class_weight": [1.0, 2.0, 0.5]}),
    ("one_vs_all", {}),
    ("candidate_inr", {"gamma": 1.0}),
]


@pytest.mark.parametrize("model", heads.MODELS)
@pytest.mark.parametrize("name, params", HEAD_LOSSES, ids=[h[0] for h in HEAD_LOSSES])
def test_heads_reach_stationarity(model, name, params):
    """Both heads reach |grad| <= LI_STATIONARITY_GTOL, and the bias equation holds to rounding."""
    X, _, Y = synthetic()
    loss = rw.get("numpy", name, **params)
    fit = heads.fit(model, X, Y, loss, l2=1e-3)
    assert fit.gradient_max <= tol.LI_STATIONARITY_GTOL, fit.message
    _, G = loss.logit_loss_grad(fit.logits(X), Y)
    assert np.max(np.abs(G.sum(axis=0))) == pytest.approx(fit.bias_gradient_max, abs=1e-15)


def test_heads_cache_and_regimes():
    """Fits are cached; early stopping is not stationary; a stop-gradient loss is refused; SGD runs."""
    X, _, Y = synthetic(1)
    loss = rw.get("numpy", "one_vs_all")
    first = heads.fit("linear", X, Y, loss, l2=1e-3)
    assert heads.fit("linear", X.copy(), Y.copy(), rw.get("numpy", "one_vs_all"), l2=1e-3) is first
    early = heads.fit("linear", X, Y, loss, l2=1e-3, maxiter=2, polish=False)
    assert early.gradient_max > tol.LI_STATIONARITY_GTOL
    with pytest.raises(ValueError, match="^loss:"):
        heads.fit("linear", X, Y, rw.get("numpy", "candidate_inr_detached"), l2=1e-3)
    with pytest.raises(ValueError, match="^model:"):
        heads.fit("cnn", X, Y, loss, l2=1e-3)
    sgd = heads.fit_sgd("linear", X, Y, loss, l2=1e-3, learning_rate=0.1, epochs=2, batch_size=16)
    assert np.isfinite(sgd.objective) and sgd.iterations == 2 * 5


@pytest.mark.parametrize("model", heads.MODELS)
def test_head_gradient_is_derivative(model):
    """The heads' backpropagated gradient of J (penalties included) equals differences of J."""
    X, _, Y = synthetic(2, n=12)
    head = heads._Head(model, X, Y, rw.get("numpy", "softmax"), 1e-2, True, 3e-2, 3)
    theta = head.initial(0) + 0.1
    check = check_gradient(lambda t: head.value_grad(t.ravel())[0], lambda t: head.value_grad(t.ravel())[1][:, None],
                           theta[:, None], method="richardson")
    assert check.passed, check.to_dict()


def test_reweight_refit_satisfies_I4():
    """The stop-gradient candidate's refit is stationary for its frozen weights, so I4 holds with them."""
    X, _, Y = synthetic(3)
    cand = rw.get("numpy", "candidate_inr_detached", gamma=1.0)
    run = heads.fit_reweight_refit("linear", X, Y, cand, lambda om: rw.get("numpy", "non_target_weighted", omega=om),
                                   l2=1e-3, rounds=40, tolerance=tol.LI_FIXED_POINT_TOL)
    P = cand.logit_probs(run.fit.logits(X))
    lhs = np.where(Y == 1, 1 - P, 0).sum(axis=0)
    rhs = np.where(Y == 1, 0, run.omega * P).sum(axis=0)
    assert np.max(np.abs(lhs - rhs) / np.maximum(lhs, rhs)) <= tol.LI_IDENTITY_RTOL
    assert run.changes and all(np.isfinite(run.changes))


# --------------------------------------------------------------------------
# verify.catalog.li2020.datasets (needs scikit-learn's bundled data)
# --------------------------------------------------------------------------


def test_split_and_subsample():
    """Splits are stratified 50/50 and keep train-constant columns bounded; subsampling keeps the asked counts."""
    pytest.importorskip("sklearn")
    from verify.catalog.li2020 import datasets as li_datasets

    ds = li_datasets.load("digits")
    train, test = li_datasets.split(ds, seed=0)
    assert train.y.shape[0] + test.y.shape[0] == ds.y.shape[0]
    assert np.all(np.abs(train.counts - ds.counts / 2) <= 1)
    # a pixel constant on the train half must not be scaled by its rounding-size std (it would reach ~1e17)
    assert np.max(np.abs(test.X)) < 1e3
    wine = li_datasets.subsample("wine", (59, 71, 8), 0)
    assert wine.counts.tolist() == [59, 71, 8]
    np.testing.assert_allclose(wine.X.mean(axis=0), 0.0, atol=1e-12)


# ---------------------------------------------- issue 17: overflow and bad input


@pytest.mark.parametrize("impl", rw.names())
@pytest.mark.parametrize("method", ["probs", "grad", "loss"])
def test_binary_logits_that_overflow_are_an_error(impl, method):
    """X @ W beyond float64 (1e200 * 1e200): the documented error naming X and W, not a wrong value."""
    loss = rw.get(impl, "binary_logistic")
    W, X, Y = np.array([[1e200]]), np.array([[1e200], [-1e200]]), np.array([[1.0], [0.0]])
    args = (W, X) if method == "probs" else (W, X, Y)
    with pytest.raises(ValueError, match=r"^X, W: a logit overflows float64"):
        getattr(loss, method)(*args)


@pytest.mark.parametrize("impl", rw.names())
def test_candidate_weights_need_targets(impl):
    with pytest.raises(TypeError, match=r"^Y: expected an array of shape \(N, K\) like Z, got None"):
        rw.get(impl, "candidate_inr").candidate_weights(np.zeros((2, 3)), None)


@pytest.mark.parametrize("impl", rw.names())
@pytest.mark.parametrize("weights", [[], [1.0]], ids=["empty", "one"])
def test_class_weight_needs_one_weight_per_class(impl, weights):
    with pytest.raises(ValueError, match=r"^class_weight: has \d entries; give one weight per class"):
        rw.get(impl, "softmax", class_weight=weights)


@pytest.mark.parametrize("impl", rw.names())
def test_mixed_dtype_logits_are_refused(impl):
    with pytest.raises(TypeError, match=r"^Z: mixes entries of dtypes float32, float64"):
        rw.get(impl, "softmax").logit_probs([np.zeros(2, np.float32), np.zeros(2)])


@pytest.mark.parametrize("impl", rw.names())
def test_sample_weights_validate_their_targets(impl):
    loss = rw.get(impl, "softmax")
    with pytest.raises(ValueError, match=r"^Y: contains 0 NaN and 1 infinite entries"):
        loss.sample_weights(np.array([[np.inf, 0.0], [0.0, 1.0]]), np.float64)
    with pytest.raises(TypeError, match=r"^dtype: int64 is not supported"):
        loss.sample_weights(np.eye(2), np.int64)

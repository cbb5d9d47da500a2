"""Hypothesis strategies for softmax cross-entropy problems, and the test profiles.

A drawn problem covers the corners the claims care about: N = 1, D = 1,
K = 2 and K > 2, D = K, rank-deficient X, duplicate rows, one-hot and soft
targets, targets with zero entries, separable (labels from a linear rule)
and overlapping (random labels) data, and logits from tiny to saturated.
Every feature is drawn, never forced, so that Hypothesis can shrink a
failing problem toward the simplest one (small sizes, unstructured data).

Profiles (select with ``pytest --hypothesis-profile NAME`` or
``lossproof check --hypothesis-profile NAME``):

* ``quick``: a few examples, for development;
* ``ci``: derandomized and reproducible, the default;
* ``thorough``: long searches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, Phase, assume, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

PROFILES = {
    "quick": dict(max_examples=15, deadline=None),
    # Reproducible: derandomized (the same draws in every run; LOSSPROOF_SEARCH_SEED seeds them instead, see
    # verify.harness.search), no deadline, and report_multiple_bugs off: with it on, Hypothesis keeps generating
    # after the first violation until a count is reached or 10 seconds have passed since that violation, so on a
    # busy machine a search ran fewer examples and could shrink a different counterexample. (The example
    # database is off in every search.)
    "ci": dict(max_examples=40, deadline=None, derandomize=True, print_blob=True, report_multiple_bugs=False),
    "thorough": dict(max_examples=1500, deadline=None),
}
DEFAULT_PROFILE = "ci"

# Every phase but "explain": it traces each executed line while shrinking,
# which makes searches several times slower and adds nothing to the evidence
# (the shrunk counterexample is recorded either way).
SEARCH_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)

for _name, _kwargs in PROFILES.items():
    settings.register_profile(
        _name,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        phases=SEARCH_PHASES,
        **_kwargs,
    )

# Largest |z| the logits are scaled to: 1e-8 is "tiny" (softmax ~ uniform),
# 30 saturates float64 probabilities to ~1e-13, 1e3 underflows exp entirely.
LOGIT_SCALES = (0.0, 1e-8, 1e-2, 1.0, 5.0, 30.0, 1e3)
TARGET_KINDS = ("one-hot", "separable-one-hot", "soft", "soft-with-zeros")


@dataclass
class SoftmaxProblem:
    """One drawn problem: arrays in one dtype and a description of how it was made."""

    X: np.ndarray
    W: np.ndarray
    Y: np.ndarray
    V: np.ndarray
    sample_weight: np.ndarray
    tags: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.X.shape[0], self.X.shape[1], self.W.shape[1])

    def astype(self, dtype) -> "SoftmaxProblem":
        return SoftmaxProblem(
            *(np.asarray(a, dtype=dtype) for a in (self.X, self.W, self.Y, self.V, self.sample_weight)),
            tags=dict(self.tags),
        )

    def __repr__(self) -> str:  # Hypothesis prints this for a failing example
        arrays = ", ".join(
            f"{n}=np.{a!r}" for n, a in zip("X W Y V sample_weight".split(), (self.X, self.W, self.Y, self.V, self.sample_weight))
        )
        return f"SoftmaxProblem({arrays}, tags={self.tags!r})"


def _unit_floats(dtype):
    return st.floats(-1.0, 1.0, width=np.dtype(dtype).itemsize * 8, allow_subnormal=False)


@dataclass(frozen=True)
class Domain:
    """The inputs a user has: the magnitudes of the entries of X, W and V, and the logit range.

    Every entry drawn is an exact zero or has a magnitude in
    ``[entry_min, 1]``; W is then scaled so that the largest |logit| is the
    drawn logit scale, and a draw is kept only if every scaled entry of W has
    magnitude at most ``w_max`` (reached at |z| = 1e4 with entries of X of
    about 1e-2; a larger factor only comes from cancellation in X W, or
    from an X of entries too small to matter). So every counterexample is an
    input a person recognises: no 4e-258 in X against a 1.2e249 in W, where
    W * W overflows although no user's model gets there.
    """

    entry_min: float = 2.0**-20  # about 1e-6: a power of two, so exact in float32 and float64
    w_max: float = 1e6

    def entries(self, dtype):
        width = np.dtype(dtype).itemsize * 8
        magnitude = st.floats(self.entry_min, 1.0, width=width)
        return st.one_of(st.just(0.0), magnitude, magnitude.map(lambda v: -v))


# The implementation claims draw from this domain (docs/domain in the README); the maths claims keep the whole
# float range of _unit_floats, where a theorem must hold for every real input.
USER_DOMAIN = Domain()


# Soft targets are dyadic, y_k = c_k / 2**16 with integer c_k summing to 2**16,
# so every row sums to exactly 1 in float32 and float64 alike: the same
# problem can be posed in both dtypes, and no claim is confused by the
# rounding of a normalisation.
TARGET_DENOMINATOR = 2**16


def targets(draw, N: int, K: int, kind: str, dtype) -> np.ndarray:
    """Rows in the simplex of the requested kind, exact in ``dtype``."""
    if kind == "one-hot":  # random labels: the classes usually overlap once N > D
        labels = draw(hnp.arrays(np.int64, (N,), elements=st.integers(0, K - 1)))
        Y = np.zeros((N, K), dtype=dtype)
        Y[np.arange(N), labels] = 1
        return Y
    if kind == "separable-one-hot":
        raise ValueError("separable targets depend on X; use separable_targets")
    free = TARGET_DENOMINATOR - K  # every entry gets at least 1 / 2**16
    cuts = np.sort(draw(hnp.arrays(np.int64, (N, K - 1), elements=st.integers(0, free))), axis=1)
    counts = 1 + np.diff(np.concatenate([np.zeros((N, 1), np.int64), cuts, np.full((N, 1), free)], axis=1), axis=1)
    if kind == "soft-with-zeros":
        zero = draw(hnp.arrays(np.bool_, (N, K)))
        keep = np.argmax(counts, axis=1)
        zero[np.arange(N), keep] = False  # one positive entry per row receives the removed mass
        counts[np.arange(N), keep] += np.where(zero, counts, 0).sum(axis=1)
        counts = np.where(zero, 0, counts)
    return (counts / TARGET_DENOMINATOR).astype(dtype)


def separable_targets(draw, X, K: int, dtype) -> np.ndarray:
    """One-hot labels argmax_k (X W_sep)_k for a drawn W_sep: linearly separable by construction.

    Rows where the top two scores tie are not strictly separated; that is
    kept (it is a legitimate boundary case), and ``tags["separable"]``
    records whether the margin is positive.
    """
    N, D = X.shape
    W_sep = draw(hnp.arrays(np.float64, (D, K), elements=st.integers(-8, 8).map(float)), label="separating W")
    scores = X.astype(np.float64) @ W_sep
    labels = np.argmax(scores, axis=1)
    top2 = np.sort(scores, axis=1)[:, -2:]
    Y = np.zeros((N, K), dtype=dtype)
    Y[np.arange(N), labels] = 1
    return Y, bool(np.all(top2[:, 1] > top2[:, 0]))


@st.composite
def problems(
    draw,
    *,
    dtype=np.float64,
    max_N: int = 6,
    max_D: int = 4,
    max_K: int = 5,
    logit_scales=LOGIT_SCALES,
    target_kinds=TARGET_KINDS,
    weighted: bool | None = False,
    domain: Domain | None = None,
    shapes=None,
):
    """Draw a :class:`SoftmaxProblem`.

    Parameters
    ----------
    dtype : the floating dtype of every array.
    max_N, max_D, max_K : size limits (N >= 1, D >= 1, K >= 2 always allowed).
    logit_scales : the largest |logit| is one of these (0 means W = 0).
    target_kinds : subset of ``TARGET_KINDS``.
    weighted : True draws positive sample weights, False gives ones,
        None lets Hypothesis choose.
    domain : a :class:`Domain` bounding the entries (None: any float in
        [-1, 1] before scaling, the whole range a theorem must hold on).
    shapes : a sequence of (N, D, K) to draw the shape from, in place of the
        ranges ``max_N`` ... (an implementation that compiles once per shape
        reuses its compilations); the first is the one shrunk to.
    """
    dtype = np.dtype(dtype)
    elements = _unit_floats(dtype) if domain is None else domain.entries(dtype)
    if shapes is not None:
        N, D, K = draw(st.sampled_from(list(shapes)), label="shape (N, D, K)")
    else:
        K = draw(st.integers(2, max_K), label="K")
        if draw(st.booleans(), label="D = K") and K <= max_D:
            D = K
        else:
            D = draw(st.integers(1, max_D), label="D")
        N = draw(st.integers(1, max_N), label="N")
    X = draw(hnp.arrays(dtype, (N, D), elements=elements), label="X")
    structure = draw(st.sampled_from(["generic", "duplicate-rows", "rank-deficient"]), label="structure")
    if structure == "duplicate-rows" and N >= 2:
        X[N // 2 :] = X[: N - N // 2]
    elif structure == "rank-deficient" and D >= 2:
        X[:, -1] = X[:, 0]  # a repeated column: rank X <= D - 1
    W = draw(hnp.arrays(dtype, (D, K), elements=elements), label="W")
    scale = draw(st.sampled_from(list(logit_scales)), label="logit scale")
    Z = np.abs(X.astype(np.float64) @ W.astype(np.float64))
    peak = float(Z.max())
    if scale == 0 or peak == 0:
        W = np.zeros_like(W)
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            W = (W.astype(np.float64) * (scale / peak)).astype(dtype)
        # X near the underflow threshold would need W beyond the dtype's range
        # for logits of this size (scale / peak may even be Inf, and Inf * 0 NaN):
        # not a problem in the dtype, so not drawn.
        assume(bool(np.all(np.isfinite(W))))
        if domain is not None:
            assume(bool(np.max(np.abs(W)) <= domain.w_max))
    kind = draw(st.sampled_from(list(target_kinds)), label="targets")
    separable = None
    if kind == "separable-one-hot":
        Y, separable = separable_targets(draw, X, K, dtype)
    else:
        Y = targets(draw, N, K, kind, dtype)
    V = draw(hnp.arrays(dtype, (D, K), elements=elements), label="V")
    if weighted is None:
        weighted = draw(st.booleans(), label="weighted")
    if weighted:
        sw = draw(hnp.arrays(np.float64, (N,), elements=st.integers(1, 16).map(lambda i: i / 4)), label="weights")
        sw = sw.astype(dtype)
    else:
        sw = np.ones(N, dtype=dtype)
    tags = dict(structure=structure, logit_scale=scale, targets=kind, weighted=bool(weighted), D_eq_K=(D == K))
    if separable is not None:
        tags["separable"] = separable
    return SoftmaxProblem(X=X, W=W, Y=Y, V=V, sample_weight=sw, tags=tags)

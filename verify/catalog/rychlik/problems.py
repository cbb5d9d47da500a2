"""The data sets of the Rychlik catalog and the Hypothesis strategies its searches draw from.

The catalog's own constructions (the separable set of S1, the 1-D set of
S3), smoothed random data for the experiments, and strategies: problems as
``verify.harness.strategies`` draws them (finite W only), square designs for
Ostrowski's form, small integer data sets with quarter-valued targets for the
existence searches, and targets that do not sum to 1 (S4).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import impls

from ...harness.evidence import problem_to_dict
from ...harness.strategies import LOGIT_SCALES, SoftmaxProblem, targets
from ...harness.strategies import problems as _problems


# Hessian-based searches stay small: the Hessian is (DK x DK) and some checks
# evaluate it in mpmath.
HESSIAN_SIZES = dict(max_N=6, max_D=4, max_K=4)
# The existence search of P2-2 runs Newton's method twice per example.
DATASET_SIZES = dict(max_N=6, max_D=3, max_K=3)


def catalog_s1_data():
    """rychlik S1: three linearly separable classes in the plane, two points each, with a bias column."""
    pts = np.array([(2, 0), (2.5, 0.3), (-1, 1.8), (-1.2, 2.1), (-1, -1.9), (-0.8, -2.2)], dtype=np.float64)
    return impls.add_bias(pts), impls.one_hot([0, 0, 1, 1, 2, 2], 3)


def catalog_s3_data():
    """rychlik S3: x in {-2..2} with bias; x < 0 class 0, x > 0 class 1, x = 0 smoothed (1/2, 1/2)."""
    X = impls.add_bias(np.array([[-2.0], [-1.0], [0.0], [1.0], [2.0]]))
    Y = np.array([[1, 0], [1, 0], [0.5, 0.5], [0, 1], [0, 1]], dtype=np.float64)
    return X, Y


def smoothed_data(seed: int, N: int, D: int, K: int, smoothing: float, x_scale: float = 1.0, bias: bool = True):
    """Gaussian inputs (plus a bias column), one-hot labels mixed with the uniform vector: every target > 0."""
    rng = np.random.default_rng(seed)
    X = x_scale * rng.normal(size=(N, D))
    if bias:
        X = impls.add_bias(X)
    Y = (1 - smoothing) * impls.one_hot(rng.integers(0, K, N), K) + smoothing / K
    return X, Y


def problems(**kwargs):
    """``strategies.problems`` without the rare draws whose W is not finite.

    ``strategies.problems`` rescales W by ``scale / max|X W|``; when X holds
    entries near 1e-308 that factor overflows and W comes back infinite or NaN.
    Every claim here is about finite W, so such draws are outside its hypotheses.
    """
    return _problems(**kwargs).filter(lambda pb: bool(np.all(np.isfinite(pb.W))))


def datasets(**sizes):
    """Data sets (X, Y) drawn by Hypothesis; W is irrelevant (logit scale 0 draws W = 0)."""
    return problems(logit_scales=(0.0,), **sizes)


@st.composite
def square_problems(draw, max_D: int = 4, max_K: int = 4):
    """Problems with N = D (square X), for Ostrowski's form of P2-4; otherwise drawn like ``strategies.problems``."""
    D = draw(st.integers(1, max_D), label="N = D")
    K = draw(st.integers(2, max_K), label="K")
    unit = st.floats(-1.0, 1.0, allow_subnormal=False)
    X = draw(hnp.arrays(np.float64, (D, D), elements=unit), label="X")
    W = draw(hnp.arrays(np.float64, (D, K), elements=unit), label="W")
    scale = draw(st.sampled_from(list(LOGIT_SCALES)), label="logit scale")
    peak = float(np.abs(X @ W).max())
    factor = scale / peak if peak > 0 else 0.0
    # logits below ~1e-300 cannot be rescaled in float64 (the factor overflows): W = 0 then, as for scale 0
    W = W * factor if math.isfinite(factor) and factor > 0 else np.zeros_like(W)
    kind = draw(st.sampled_from(["one-hot", "soft", "soft-with-zeros"]), label="targets")
    Y = targets(draw, D, K, kind, np.float64)
    return SoftmaxProblem(X=X, W=W, Y=Y, V=np.zeros_like(W), sample_weight=np.ones(D),
                          tags=dict(logit_scale=scale, targets=kind, square=True))


def quarter_rows(K: int) -> list[tuple]:
    """Target rows with entries in {0, 1/4, ..., 1} summing to 1 (exact in binary): one-hot rows first."""
    rows = [tuple(4 * (j == k) for j in range(K)) for k in range(K)]
    rest = [c for c in itertools.product(range(5), repeat=K) if sum(c) == 4 and max(c) < 4]
    rows += sorted(rest, key=lambda c: (sum(x == 0 for x in c) == 0, c))  # with zeros first, then strictly positive
    return [tuple(x / 4 for x in c) for c in rows]


@st.composite
def integer_datasets(draw, max_N: int = 5, max_D: int = 2, max_K: int = 3, max_abs: int = 3, *,
                     mixed_targets: bool = True, positive_targets: bool = False, smoothed_row: bool = False):
    """Small data sets for the existence and threshold searches (S1, S3, S7): integer inputs, quarter targets.

    Whether a minimiser exists depends on X only through which logit
    directions separate the samples, and on the targets only through their
    supports, so small integers and quarter-valued rows already cover every
    case; each row is a single choice, which Hypothesis shrinks quickly
    (toward one-hot rows). With ``mixed_targets=False`` every row is one-hot;
    with ``positive_targets=True`` every entry is positive (a minimiser
    exists); with ``smoothed_row=True`` the first row is strictly positive
    and the second has a zero entry (N >= 2), so that every class has
    positive total mass by construction.
    """
    N = draw(st.integers(2 if smoothed_row else 1, max_N), label="N")
    D = draw(st.integers(1, max_D), label="D")
    K = draw(st.integers(2, max_K), label="K")
    X = np.array(draw(st.lists(st.integers(-max_abs, max_abs), min_size=N * D, max_size=N * D), label="X"),
                 dtype=np.float64).reshape(N, D)
    every = quarter_rows(K)
    choices = every if mixed_targets else every[:K]
    if positive_targets:
        choices = [row for row in every if min(row) > 0]
    row_choices = [choices] * N
    if smoothed_row:
        row_choices[0] = [row for row in every if min(row) > 0]
        row_choices[1] = [row for row in every if min(row) == 0]
    rows = [options[draw(st.integers(0, len(options) - 1), label="target row")] for options in row_choices]
    return SoftmaxProblem(X=X, W=np.zeros((D, K)), Y=np.array(rows, dtype=np.float64), V=np.zeros((D, K)),
                          sample_weight=np.ones(N), tags=dict(inputs=f"integers in [-{max_abs}, {max_abs}]",
                                                              targets="quarters"))


def dataset_to_dict(pb) -> dict:
    """A drawn data set as JSON data: X, Y and the shape (W, V and the weights are not part of it)."""
    d = problem_to_dict(pb)
    d.pop("W", None)
    d.pop("V", None)
    d.pop("sample_weight", None)
    return d


@st.composite
def unnormalised_problems(draw):
    """Problems whose target rows are scaled by drawn factors c_n in {1/4, 1/2, ..., 2} (rows sum to c_n)."""
    pb = draw(problems(max_N=4, max_D=3, max_K=3))
    c = draw(hnp.arrays(np.int64, (pb.X.shape[0],), elements=st.integers(1, 8)), label="row sums x 4") / 4.0
    return SoftmaxProblem(X=pb.X, W=pb.W, Y=pb.Y * c[:, None], V=pb.V, sample_weight=pb.sample_weight,
                          tags={**pb.tags, "row sums": c.tolist()})

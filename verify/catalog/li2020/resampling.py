"""The held-out comparisons' statistics: the corrected standard error and resampled t-test, Holm's correction.

Only the li2020 held-out experiments (B5, candidate_heldout) compare learners
over repeated random train/test splits, so these live with them rather than in
the shared numerics.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class ResampledTest:
    """One corrected resampled t-test of a paired difference over J random splits (two-sided)."""

    mean: float
    sd: float  # sample standard deviation of the J paired differences (ddof 1)
    naive_se: float  # sd / sqrt(J): what treating the J overlapping splits as independent gives
    corrected_se: float  # sd * sqrt(1/J + n_test/n_train)
    t: float
    df: int
    p: float  # two-sided p-value of "mean difference = 0"
    splits: int
    n_train: int
    n_test: int

    def to_dict(self) -> dict:
        return asdict(self)


def corrected_se(values, n_train: int, n_test: int) -> float:
    """The standard error of the mean of ``values`` over J overlapping random splits: ``sd sqrt(1/J + n_test/n_train)``.

    Nadeau and Bengio's variance (see ``corrected_resampled_t_test``): treating the splits as independent,
    ``sd / sqrt(J)``, understates it, the more the more splits are drawn.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.size < 2:
        raise ValueError(f"values: need at least 2 splits for a variance, got {v.size}")
    if n_train <= 0 or n_test <= 0:
        raise ValueError(f"n_train, n_test: must be positive, got {n_train}, {n_test}")
    return float(v.std(ddof=1)) * math.sqrt(1.0 / v.size + n_test / n_train)


def corrected_resampled_t_test(differences, n_train: int, n_test: int) -> ResampledTest:
    """Nadeau and Bengio's corrected resampled t-test of ``mean(differences) = 0``, two-sided.

    ``differences[j]`` is the paired difference of two learners' test scores on
    the j-th of J random splits into ``n_train`` training and ``n_test`` test
    examples. The splits overlap (each example is in about half of the training
    sets), so the J differences are positively correlated and the naive variance
    ``s^2 / J`` of their mean is too small; C. Nadeau and Y. Bengio, "Inference
    for the Generalization Error", Machine Learning 52 (2003) 239-281, replace
    it by ``(1/J + n_test/n_train) s^2`` and refer ``t = mean / sqrt(that)`` to
    Student's t with J - 1 degrees of freedom. With 50/50 splits the factor is
    ``1/J + 1``: more splits cannot bring the variance below ``s^2``.

    A zero spread (every split gives the same difference) has ``p = 1`` when the
    difference is 0 and ``p = 0`` otherwise.
    """
    d = np.asarray(differences, dtype=np.float64)
    J = d.size
    if J < 2:
        raise ValueError(f"differences: need at least 2 splits for a variance, got {J}")
    if n_train <= 0 or n_test <= 0:
        raise ValueError(f"n_train, n_test: must be positive, got {n_train}, {n_test}")
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    corrected = corrected_se(d, n_train, n_test)
    if corrected == 0.0:
        t, p = (0.0, 1.0) if mean == 0.0 else (math.copysign(math.inf, mean), 0.0)
    else:
        t = mean / corrected
        p = float(2.0 * stats.t.sf(abs(t), J - 1))
    return ResampledTest(mean, sd, sd / math.sqrt(J), corrected, float(t), J - 1, min(1.0, p), J, int(n_train), int(n_test))


def holm(p_values: dict) -> dict:
    """Holm's step-down adjusted p-values (S. Holm, Scand. J. Statist. 6 (1979) 65-70), by key.

    Rejecting every hypothesis whose adjusted p-value is <= alpha controls the
    family-wise error rate at alpha over the whole family, whatever the
    dependence between the tests: the i-th smallest of m p-values is multiplied
    by m - i + 1, and the products are made non-decreasing.
    """
    order = sorted(p_values, key=lambda k: p_values[k])
    m = len(order)
    adjusted, running = {}, 0.0
    for i, key in enumerate(order):
        running = max(running, min(1.0, (m - i) * float(p_values[key])))
        adjusted[key] = running
    return {k: adjusted[k] for k in p_values}

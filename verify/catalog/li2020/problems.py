"""Random problems for the CANDIDATE loss (B4 and its gamma = 0 reduction): a record and its Hypothesis strategy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from ...harness.evidence import problem_to_dict


@dataclass(frozen=True)
class CandidateProblem:
    """A small random problem for the candidate: X (N, D), W (D, K), labels, gamma."""

    X: np.ndarray
    W: np.ndarray
    labels: np.ndarray
    gamma: float

    @property
    def Y(self) -> np.ndarray:
        Y = np.zeros((self.X.shape[0], self.W.shape[1]))
        Y[np.arange(self.X.shape[0]), self.labels] = 1.0
        return Y

    def to_dict(self) -> dict:
        """The harness's ``problem_to_dict`` (X, W, Y, shape) plus what it cannot see: the labels and gamma."""
        return {**problem_to_dict(self), "labels": self.labels.tolist(), "gamma": self.gamma}


@st.composite
def candidate_problems(draw, gammas=None):
    """Random problems with logits up to ~30 (p from 1e-13 to 1 - 1e-13), K = 2..5, gamma in [0, 3]."""
    N = draw(st.integers(1, 5))
    D = draw(st.integers(1, 3))
    K = draw(st.integers(2, 5))
    scale = draw(st.sampled_from([0.1, 1.0, 5.0, 15.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    W = rng.normal(size=(D, K)) * scale
    labels = np.array([draw(st.integers(0, K - 1)) for _ in range(N)])
    gamma = draw(gammas) if gammas is not None else draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0]))
    return CandidateProblem(X, W, labels, float(gamma))

"""What every implementation of a reweighted loss shares: its hyperparameters, validation, and the public methods.

An implementation module (``loops``, ``vectorized``) subclasses the loss
bases here and supplies the arithmetic: ``_probs(Z)``, ``_loss_grad(Z, Y)``
(mean loss and ``dL/dZ``), ``_logits(W, X)``, ``_lift(X, G)`` (``X^T G``)
and, for the losses with a cheap Hessian, ``_hessian(W, X, Y)``. The bases
validate every argument first, so the arithmetic never sees bad input.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from .._arrays import check_result_finite, check_size
from .validation import (
    check_frozen_shape,
    class_weight_length,
    frozen_weights,
    gamma_value,
    positive_weights,
    sample_weight_targets,
    validate_linear,
    validate_logits,
)


# How a result of this family overflows, for the documented error (impls._arrays.overflow_error).
_THROUGH = "logits X @ W beyond that value, or class weights so large that the weighted loss is"


class LossBase:
    """Public methods of a loss; the subclass supplies the arithmetic."""

    name = ""
    implementation = ""
    target_kind = "simplex"

    def __init_subclass__(cls, **kwargs):
        # An implementation (loops, numpy) of a loss states its formula once, in the loss's base class.
        super().__init_subclass__(**kwargs)
        if cls.__doc__ is None:
            cls.__doc__ = next(b.__doc__ for b in cls.__mro__[1:] if b.__module__ == __name__ and b.__doc__)

    # -- hyperparameters -----------------------------------------------------

    def _params(self) -> tuple:
        return ()

    @property
    def spec(self) -> tuple:
        """Hashable (loss name, implementation, hyperparameters): a cache key for fitted models."""
        return (self.name, self.implementation) + self._params()

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self._params()!r}"

    def _check_call(self, Z: np.ndarray, Y: np.ndarray | None) -> None:
        """Checks of the hyperparameters against the call's shapes (class counts, frozen weights)."""

    # -- validation ----------------------------------------------------------

    def _logit_args(self, Z, Y, need_Y=False):
        caps = self.capabilities
        if Y is None and need_Y:
            raise TypeError(f"Y: expected an array of shape (N, K) like Z, got None; {self.name} needs the targets")
        Z, Y, _ = validate_logits(Z, Y, kind=self.target_kind, binary=caps.binary, dtypes=caps.dtypes)
        self._check_call(Z, Y)
        return Z, Y

    def _linear_args(self, W, X, Y, need_Y=True):
        caps = self.capabilities
        W, X, Y, _ = validate_linear(W, X, Y, kind=self.target_kind, binary=caps.binary, dtypes=caps.dtypes, need_Y=need_Y)
        check_size(X.shape[0] * X.shape[1] * W.shape[1], caps.max_size, "N*D*K", "X, W", 'reweighted.get("numpy", ...)')
        return W, X, Y

    def _checked_logits(self, W, X) -> np.ndarray:
        """``Z = X W``, or the documented overflow error where a logit is beyond the dtype's range."""
        with np.errstate(over="ignore", invalid="ignore"):
            Z = self._logits(W, X)
        return check_result_finite(Z, Z.dtype, "a logit", "X, W", _THROUGH)

    @staticmethod
    def _checked(value, what: str, arguments: str):
        """``value`` (an array, a scalar or a tuple of them), or the documented overflow error if one is not finite."""
        for part in value if isinstance(value, tuple) else (value,):
            check_result_finite(part, np.asarray(part).dtype, what, arguments, _THROUGH)
        return value

    # -- logit level ---------------------------------------------------------

    def logit_probs(self, Z) -> np.ndarray:
        """Predicted probabilities, shape of ``Z`` (sigmoid for the logistic losses, softmax for SML)."""
        Z, _ = self._logit_args(Z, None)
        return self._checked(self._probs(Z), "a probability", "Z")

    def logit_loss_grad(self, Z, Y):
        """``(L, dL/dZ)``: the mean loss and its gradient with respect to the logits, shape of ``Z``."""
        Z, Y = self._logit_args(Z, Y, need_Y=True)
        with np.errstate(over="ignore", invalid="ignore"):
            result = self._loss_grad(Z, Y)
        return self._checked(result, "the loss or its gradient", "Z")

    def logit_loss(self, Z, Y):
        """The mean loss of the logits ``Z``."""
        return self.logit_loss_grad(Z, Y)[0]

    def logit_grad(self, Z, Y) -> np.ndarray:
        """``dL/dZ``, shape of ``Z``."""
        return self.logit_loss_grad(Z, Y)[1]

    # -- linear model Z = X W ------------------------------------------------

    def probs(self, W, X) -> np.ndarray:
        """Predicted probabilities of the linear model, shape (N, K)."""
        W, X, _ = self._linear_args(W, X, None, need_Y=False)
        return self._checked(self._probs(self._checked_logits(W, X)), "a probability", "X, W")

    def loss_grad(self, W, X, Y):
        """``(L, X^T dL/dZ)`` of the linear model, the gradient of shape (D, K)."""
        W, X, Y = self._linear_args(W, X, Y)
        Z = self._checked_logits(W, X)
        self._check_call(Z, Y)
        with np.errstate(over="ignore", invalid="ignore"):
            L, G = self._loss_grad(Z, Y)
            result = L, self._lift(X, G)
        return self._checked(result, "the loss or its gradient", "X, W")

    def loss(self, W, X, Y):
        """The mean loss of the linear model ``Z = X W``."""
        return self.loss_grad(W, X, Y)[0]

    def grad(self, W, X, Y) -> np.ndarray:
        """``X^T dL/dZ``, array of shape (D, K)."""
        return self.loss_grad(W, X, Y)[1]


# --------------------------------------------------------------------------
# The losses' hyperparameters
# --------------------------------------------------------------------------


def _weights_tuple(weights) -> tuple | None:
    return None if weights is None else tuple(float(w) for w in weights)


def _resolve(name: str, given, K: int) -> np.ndarray:
    return positive_weights(name, given, K)


class BinaryLogisticBase(LossBase):
    """Weighted binary logistic loss (LGL), catalog B.2.1.

    .. math:: L = -\\frac{1}{N} \\sum_i \\big[\\alpha_1 y_i \\log p_i
              + \\alpha_0 (1 - y_i) \\log(1 - p_i)\\big], \\quad p_i = \\sigma(z_i),

    with gradient ``dL/dz_i = -(1/N) [alpha_1 y_i (1 - p_i) - alpha_0 (1 - y_i) p_i]``.

    Parameters
    ----------
    class_weight : array of shape (2,), optional
        ``(alpha_0, alpha_1)``, the weights of the negative and the positive
        class, each > 0 (default ``(1, 1)``).
    """

    name = "binary_logistic"
    target_kind = "binary"

    def __init__(self, class_weight=None):
        self.class_weight = None if class_weight is None else positive_weights("class_weight", class_weight, 2)

    def _params(self):
        return (_weights_tuple(self.class_weight),)

    def _alphas(self):
        a = self.class_weight if self.class_weight is not None else np.ones(2)
        return a[0], a[1]


class WeightedSoftmaxBase(LossBase):
    """Class-weighted softmax cross-entropy (SML), catalog B.2.2.

    .. math:: L = \\frac{1}{N} \\sum_i s_i \\big[\\operatorname{logsumexp}(z_i)
              - \\textstyle\\sum_k Y_{ik} z_{ik}\\big], \\quad s_i = \\sum_k \\alpha_k Y_{ik},

    so ``s_i = alpha_{y_i}`` for one-hot rows, and ``dL/dz_ik = (s_i/N)(p_ik - Y_ik)``.
    Normalised by N, not by ``sum_i s_i`` (the softmax implementations'
    ``sample_weight`` convention): the two differ by the constant factor
    ``sum_i s_i / N``.

    Parameters
    ----------
    class_weight : array of shape (K,), optional
        ``alpha_k > 0`` (default all ones).
    """

    name = "softmax"
    target_kind = "simplex"

    def __init__(self, class_weight=None):
        self.class_weight = None
        if class_weight is not None:
            self.class_weight = positive_weights("class_weight", class_weight, class_weight_length("class_weight", class_weight))

    def _params(self):
        return (_weights_tuple(self.class_weight),)

    def _check_call(self, Z, Y):
        self._check_classes(Z.shape[1])

    def _check_classes(self, K: int) -> None:
        if self.class_weight is not None and self.class_weight.shape[0] != K:
            raise ValueError(f"class_weight: has {self.class_weight.shape[0]} entries but there are K = {K} classes")

    def _delegated(self, softmax, method: str, W, X, Y):
        """``method`` (``loss_grad`` or ``hessian``) of the softmax family's implementation ``softmax``, with
        sample weights ``s_i = sum_k alpha_k Y_ik``, rescaled by ``sum_i s_i / N`` to this family's mean.

        The class weights are first scaled by a power of two so that the largest is in [0.5, 1): the
        softmax implementation's weighted mean does not change, and ``sum_i s_i`` cannot overflow; the
        power of two goes back into the rescaling, where a result beyond the dtype is the documented error.
        """
        W, X, Y = self._linear_args(W, X, Y)
        self._check_classes(W.shape[1])
        dtype = W.dtype
        alpha = _resolve("class_weight", self.class_weight, W.shape[1])
        _, exponent = math.frexp(float(alpha.max()))
        s = Y @ np.ldexp(alpha, -exponent).astype(dtype)
        if not s.max() > 0:
            raise ValueError(
                f"class_weight: the sample weights sum_k alpha_k Y_ik of every sample are 0 in {dtype.name} "
                "(the targets' classes have weights below the dtype's range against the largest weight)"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            rescale = np.ldexp(s.sum(dtype=dtype) / dtype.type(X.shape[0]), exponent).astype(dtype)
            result = getattr(softmax, method)(W, X, Y, sample_weight=s)
            result = tuple(r * rescale for r in result) if isinstance(result, tuple) else result * rescale
        what = "the Hessian" if method == "hessian" else "the loss or its gradient"
        return self._checked(result, what, "X, W")

    def sample_weights(self, Y, dtype) -> np.ndarray:
        """``s_i = sum_k alpha_k Y_ik``, array of shape (N,) in ``dtype``; ``Y`` of shape (N, K), rows in the simplex."""
        Y, dtype = sample_weight_targets(Y, dtype, self.capabilities.dtypes)
        self._check_classes(Y.shape[1])
        K = Y.shape[1]
        with np.errstate(over="ignore", invalid="ignore"):  # a class weight beyond float32: reported below
            a = _resolve("class_weight", self.class_weight, K).astype(dtype)
            s = Y.astype(dtype, copy=False) @ a
        return self._checked(s, "a sample weight", "class_weight, Y")


class OneVsAllLogisticBase(LossBase):
    """One-vs-all logistic loss with per-class positive and negative weights, catalog B.2.3.

    .. math:: L = -\\frac{1}{N} \\sum_{i,k} \\big[\\alpha_k^+ Y_{ik} \\log p_{ik}
              + \\alpha_k^- (1 - Y_{ik}) \\log(1 - p_{ik})\\big], \\quad p_{ik} = \\sigma(z_{ik}),

    with gradient ``dL/dz_ik = (1/N) [-alpha+_k Y_ik (1 - p_ik) + alpha-_k (1 - Y_ik) p_ik]``.

    Parameters
    ----------
    positive_weight, negative_weight : arrays of shape (K,), optional
        ``alpha+_k > 0`` and ``alpha-_k > 0`` (default all ones).
    """

    name = "one_vs_all"
    target_kind = "unit"

    def __init__(self, positive_weight=None, negative_weight=None):
        self.positive_weight = None
        self.negative_weight = None
        if positive_weight is not None:
            self.positive_weight = positive_weights("positive_weight", positive_weight, class_weight_length("positive_weight", positive_weight))
        if negative_weight is not None:
            self.negative_weight = positive_weights("negative_weight", negative_weight, class_weight_length("negative_weight", negative_weight))

    def _params(self):
        return (_weights_tuple(self.positive_weight), _weights_tuple(self.negative_weight))

    def _check_call(self, Z, Y):
        for name in ("positive_weight", "negative_weight"):
            w = getattr(self, name)
            if w is not None and w.shape[0] != Z.shape[1]:
                raise ValueError(f"{name}: has {w.shape[0]} entries but the logits have K = {Z.shape[1]} columns")

    def _alphas(self, K, dtype):
        with np.errstate(over="ignore"):  # a weight beyond the dtype is inf here; the results are checked
            return (_resolve("positive_weight", self.positive_weight, K).astype(dtype),
                    _resolve("negative_weight", self.negative_weight, K).astype(dtype))


class NonTargetWeightedLogisticBase(LossBase):
    """Logistic loss with frozen per-entry weights on the non-target terms (catalog B.2.4, general form).

    .. math:: l_i = -\\log p_{i,y_i} - \\sum_{k \\ne y_i} \\omega_{ik} \\log(1 - p_{ik}),
              \\quad L = \\frac{1}{N} \\sum_i l_i,

    with ``omega`` a constant: ``dl_i/dz_{i,y_i} = -(1 - p_{i,y_i})`` and
    ``dl_i/dz_ik = omega_ik p_ik``. With ``omega`` frozen at
    ``candidate_weights(Z0)`` this is the stop-gradient candidate at ``Z0``,
    and its gradient there is the detached candidate's.

    Parameters
    ----------
    omega : array of shape (N, K)
        Non-target weights, finite and >= 0 (the target entries are unused).
    """

    name = "non_target_weighted"
    target_kind = "one_hot"

    def __init__(self, omega):
        self.omega = frozen_weights(omega)
        self._omega_digest = hashlib.sha1(np.ascontiguousarray(self.omega).tobytes()).hexdigest()

    def _params(self):
        return (self.omega.shape, str(self.omega.dtype), self._omega_digest)

    def _check_call(self, Z, Y):
        check_frozen_shape(self.omega, Z)


class _CandidateBase(LossBase):
    target_kind = "one_hot"

    def __init__(self, gamma=1.0):
        self.gamma = gamma_value(gamma)

    def _params(self):
        return (self.gamma,)

    def candidate_weights(self, Z, Y) -> np.ndarray:
        """The candidate's non-target weights ``omega_ik = (K - 1) p_ik^gamma / sum_{j != y_i} p_ij^gamma``.

        Array of the shape of ``Z``; 0 at the target entries; each row's
        non-target weights sum to ``K - 1``.
        """
        Z, Y = self._logit_args(Z, Y, need_Y=True)
        return self._checked(self._weights(Z, Y), "a candidate weight", "Z")


class CandidateINRBase(_CandidateBase):
    """CANDIDATE reweighted logistic loss (LGL-INR candidate), fully differentiable, catalog B.2.4.

    The paper's weight formula is not recorded; this is the catalog's
    candidate with the properties the paper describes, and it is labelled a
    candidate wherever it appears:

    .. math:: l_i = -\\log p_{i,y_i} - \\sum_{k \\ne y_i} \\omega_{ik} \\log(1 - p_{ik}),
              \\quad \\omega_{ik} = (K-1) \\frac{p_{ik}^\\gamma}{\\sum_{j \\ne y_i} p_{ij}^\\gamma}.

    The weights are differentiated through: with ``u = softplus(z)``,
    ``Ubar_i = sum_{j != y_i} omega_ij u_ij``,
    ``dl_i/dz_ik = omega_ik p_ik + gamma omega_ik (1 - p_ik) (u_ik - Ubar_i / (K - 1))``
    for ``k != y_i``, and ``-(1 - p_{i,y_i})`` at the target. At ``gamma = 0``
    every ``omega_ik = 1`` and the loss is the unweighted one-vs-all LGL.

    Parameters
    ----------
    gamma : float >= 0
        Focusing exponent (hard non-target classes, with large ``p_ik``, get
        larger weights).
    """

    name = "candidate_inr"


class CandidateINRDetachedBase(_CandidateBase):
    """CANDIDATE reweighted logistic loss with stop-gradient weights, catalog B.2.4.

    The value is the candidate's (``CandidateINRBase``); ``grad`` treats
    ``omega`` as a constant (``dl_i/dz_ik = omega_ik p_ik`` off target), so it
    is **not** the derivative of ``loss``: it equals the gradient of
    ``NonTargetWeightedLogistic(omega)`` with ``omega`` frozen at the current
    logits. Training it means the reweight / refit iteration (freeze omega,
    fit, recompute omega), whose fixed point may not exist (catalog G5).
    """

    name = "candidate_inr_detached"

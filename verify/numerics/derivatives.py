"""Finite-difference and complex-step derivatives, and checkers that compare
an implementation's derivatives with them.

The checkers take plain callables of ``W`` alone (close over ``X``, ``Y``):

>>> import numpy as np, impls
>>> from verify.numerics.derivatives import check_gradient
>>> rng = np.random.default_rng(0)
>>> X, W = rng.normal(size=(6, 3)), rng.normal(size=(3, 4))
>>> Y = rng.dirichlet(np.ones(4), size=6)
>>> ce = impls.get("numpy")
>>> check = check_gradient(lambda W: ce.loss(W, X, Y), lambda W: ce.grad(W, X, Y), W)
>>> check.passed
True

They return data (``DerivativeCheck``: the error, the reference's own
estimated error, the tolerance derived from it, where the worst entry is), not
booleans, so a report can show how close a pass was.

Layout: one workhorse (``approx_derivative``: the Jacobian of any array
function of ``W`` with respect to ``W.ravel()``, with an error estimate), the
public approximations built on it, and one checker per quantity. Every step
rule, error coefficient and tolerance formula lives in ``verify.numerics.differences``
(section "Finite-difference tolerances").

Conventions (``DESIGN.md``): ``W`` has shape (D, K); Jacobians and Hessians
are taken with respect to ``W.ravel()`` in C order, row index = output flat
index, column index = input flat index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import differences

METHODS = ("central", "richardson")


# --------------------------------------------------------------------------
# The result
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class DerivativeCheck:
    """The outcome of comparing a derivative with a numerical reference.

    Attributes
    ----------
    quantity : str
        What was checked: ``"grad"``, ``"hessian"``, ``"hvp"``,
        ``"directional grad"`` or ``"directional hvp"``.
    method : str
        How the reference was computed: ``"central"``, ``"richardson"``,
        ``"complex-step"`` (differences of the function), or
        ``"hessian matvec"`` (the hvp against ``H @ v``).
    step : float
        The base step h of the differences, largest over the coordinates
        (the ladder also evaluates h/2, and 2h for Richardson); 1e-20 for
        the complex step, 0 for ``"hessian matvec"``.
    max_abs_error : float
        ``max |computed - reference|`` over all entries.
    max_rel_error : float
        ``max_abs_error / scale`` (``inf`` when ``scale`` is 0 and the error
        is not, 0 when both are).
    error_estimate : float
        Estimated error (truncation plus rounding) of the reference itself,
        largest over the entries.
    tolerance : float
        The bound ``max_abs_error`` is held to, derived from
        ``error_estimate`` and ``scale`` by
        ``verify.numerics.differences.derivative_tolerance``.
    scale : float
        Largest magnitude of the reference, ``max |reference|``.
    worst_index : tuple of int or None
        Index of the entry with the largest error, in the shape of the
        checked quantity (``(d, k)`` for a gradient, ``(row, col)`` for a
        Hessian); ``None`` for a scalar.
    """

    quantity: str
    method: str
    step: float
    max_abs_error: float
    max_rel_error: float
    error_estimate: float
    tolerance: float
    scale: float
    worst_index: tuple | None

    @property
    def passed(self) -> bool:
        """Whether ``max_abs_error <= tolerance`` (False for a NaN error)."""
        return bool(self.max_abs_error <= self.tolerance)

    def to_dict(self) -> dict:
        """Plain-data form for JSON: floats, strings, a list or None, and ``passed``."""
        return {
            "quantity": str(self.quantity),
            "method": str(self.method),
            "step": float(self.step),
            "max_abs_error": float(self.max_abs_error),
            "max_rel_error": float(self.max_rel_error),
            "error_estimate": float(self.error_estimate),
            "tolerance": float(self.tolerance),
            "scale": float(self.scale),
            "worst_index": None if self.worst_index is None else [int(i) for i in self.worst_index],
            "passed": self.passed,
        }


# --------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------


def central_difference_step(x, dtype=None) -> np.ndarray:
    """Central-difference step for each entry of ``x``.

    Parameters
    ----------
    x : array of any shape, real floating
        The point at which the derivative is taken.
    dtype : floating dtype, optional
        The dtype whose eps limits the difference (the less precise of the
        argument's and the function's); default ``x.dtype``.

    Returns
    -------
    h : array of the shape and dtype of ``x``
        ``h_i = (3 eps)**(1/3) * max(1, |x_i|)``, rounded so that
        ``x_i + h_i`` and ``x_i - h_i`` are exactly representable.

    Notes
    -----
    The central difference ``(f(x+h) - f(x-h)) / (2h)`` has truncation error
    ``|f'''| h**2 / 6`` and, when ``f`` is computed with absolute error
    ``eps F``, rounding error ``eps F / h``. The sum is smallest at
    ``h**3 = 3 eps F / |f'''|``; assuming that ``f`` varies on the scale
    ``max(1, |x|)`` of its argument (``|f'''| ~ F / max(1, |x|)**3``) gives
    the step above, and the error is then ``O(eps**(2/3))``: about 4e-11
    relative in float64 and 2e-5 in float32 (Nocedal & Wright, *Numerical
    Optimization*, sec. 8.1).

    The step is then replaced by ``(|x| + h) - |x|``: the floating-point
    numbers ``x + h`` and ``x - h`` are then exactly ``x`` plus and minus the
    step used in the denominator. Otherwise rounding ``x + h`` to the grid
    around ``x`` changes the actual step by up to ``eps |x| / 2``, a relative
    error of ``eps |x| / h ~ eps**(2/3)`` in the derivative: as large as the
    error the step was chosen to minimise. (For ``|x| >= h`` the subtraction
    is exact by Sterbenz' lemma and ``h`` is a multiple of the spacing at
    ``|x|``; for ``|x| < h`` the rounding is relative to ``h``, at most eps.)
    """
    x = _real_float("x", x)
    eps_value = differences.finite_difference_eps(x.dtype if dtype is None else dtype)
    return _rounded_step(x, differences.central_step_factor(eps_value) * np.maximum(1.0, np.abs(x)))


def richardson_step(x, dtype=None) -> np.ndarray:
    """Base step for Richardson extrapolation, ``(360 eps)**(1/5) * max(1, |x|)``.

    Parameters and rounding as in ``central_difference_step``.

    Notes
    -----
    ``R(h) = (4 D(h/2) - D(h)) / 3`` cancels the ``h**2`` term of the central
    difference ``D`` and leaves ``|f^(5)| h**4 / 480``, while its rounding
    error grows to ``3 eps F / h``. The optimum is ``h**5 = 360 eps F /
    |f^(5)|``, a larger step than the central one, and an error
    ``O(eps**(4/5))``: about 3e-13 relative in float64. At the central step
    the extrapolation would gain nothing, since there rounding already
    dominates.
    """
    x = _real_float("x", x)
    eps_value = differences.finite_difference_eps(x.dtype if dtype is None else dtype)
    return _rounded_step(x, differences.richardson_step_factor(eps_value) * np.maximum(1.0, np.abs(x)))


def _rounded_step(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """``(|x| + h) - |x|`` in the dtype of ``x``: the step that ``x +- h`` realise exactly."""
    ax = np.abs(x)
    h = np.asarray(h, dtype=x.dtype)
    rounded = (ax + h) - ax
    # Only a step below the spacing at |x| rounds to 0; keep the nominal one
    # there so the quotient stays finite (the check then reports the noise).
    return np.where(rounded > 0, rounded, h).astype(x.dtype)


def _power_of_two(h: float) -> float:
    """The power of two nearest ``h`` (multiplying a direction by it is exact)."""
    return float(2.0 ** np.round(np.log2(h)))


# --------------------------------------------------------------------------
# The workhorse
# --------------------------------------------------------------------------


def approx_derivative(fun: Callable, W, *, method: str = "central", step=None):
    """Jacobian of ``fun`` with respect to ``W.ravel()``, with an error estimate.

    Parameters
    ----------
    fun : callable
        Maps an array of the shape of ``W`` to a scalar or an array of any
        shape. It is called with arrays of ``W``'s dtype.
    W : array of shape (D, K) (any shape works), real floating
        The point.
    method : {"central", "richardson"}
        ``"central"``: the central difference ``D(h)`` per coordinate, at the
        step of ``central_difference_step``; ``"richardson"``: the
        extrapolation ``R(h) = (4 D(h/2) - D(h)) / 3`` at the step of
        ``richardson_step``.
    step : float or array of the shape of ``W``, optional
        Absolute base step h (each multiple of it is still rounded so that
        ``W +- step`` is exact).

    Returns
    -------
    J : array of shape (m, n), float64
        ``J[i, j] = d out_i / d W_j`` with ``m = size of fun(W)`` and
        ``n = W.size``, both flattened in C order.
    error : array of shape (m, n), float64
        Estimated absolute error of each entry of ``J``.
    h : array of the shape of ``W``
        The base steps used.
    f0 : array
        ``fun(W)``.

    Notes
    -----
    The error estimate has two measured parts
    (``verify.numerics.differences``, "Finite-difference tolerances"):

    * truncation, from the change of the result with the step: central
      ``(4/3) |D(h) - D(h/2)|`` (exact for an ``h**2`` error), Richardson
      ``|R(2h) - R(h)|`` (the change from the previous extrapolant, which
      bounds the error whenever the extrapolation converges at all; the
      asymptotic ``(1/15)`` is not used because at Richardson's larger step
      the ``h**4`` regime is often not reached);
    * rounding, ``coef * nu / h`` with ``nu`` the noise of one evaluation of
      ``fun``, measured from 4th differences of ``fun`` at 9 closely spaced
      points along a fixed direction (floor ``eps * max(1, max |fun(W)|)``).

    Both catch a function that varies faster, or is noisier, than the step
    rule assumes, so the tolerance widens honestly instead of the check
    failing falsely. The result and the differences are kept in float64 so
    that they add no rounding of their own.

    Costs ``4 n + 9`` evaluations of ``fun`` (central) or ``6 n + 9``
    (Richardson).
    """
    W = _real_float("W", W)
    _check_method(method)
    f0 = np.asarray(fun(W))
    eps_value = differences.finite_difference_eps(W.dtype, f0.dtype)
    nominal = _base_step(W, eps_value, method, step)
    quotients = [_central_quotients(fun, W, _rounded_step(W, nominal * r)) for r in _LADDER[method]]
    h = _rounded_step(W, nominal)
    noise = _evaluation_noise(fun, W, _probe_direction(W.shape, W.dtype), f0, eps_value)
    rounding = differences.difference_rounding_error(method, noise, h.ravel())[None, :]
    J, change = _combine(quotients, method)
    return J, differences.halving_error_coef(method) * change + rounding, h, f0


def _base_step(W: np.ndarray, eps_value: float, method: str, step) -> np.ndarray:
    """Nominal (unrounded) base step per entry of W: the method's rule, or the caller's."""
    if step is not None:
        nominal = np.broadcast_to(np.asarray(step, dtype=np.float64), W.shape)
        if not np.all(np.isfinite(nominal)) or np.any(nominal <= 0):
            raise ValueError(f"step: must be positive and finite, got {step!r}")
        return nominal
    return _step_factor(method, eps_value) * np.maximum(1.0, np.abs(W.astype(np.float64)))


def _step_factor(method: str, eps_value: float) -> float:
    """The method's relative step, ``(3 eps)**(1/3)`` or ``(360 eps)**(1/5)``."""
    return differences.central_step_factor(eps_value) if method == "central" else differences.richardson_step_factor(eps_value)


def _central_quotients(fun: Callable, W: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Central differences ``(fun(W + h_j e_j) - fun(W - h_j e_j)) / (2 h_j)``, as an (m, n) array.

    Evaluated in W's dtype; the difference and the division are done in
    float64 so that they add no rounding of their own.
    """
    flat = W.ravel()
    hf = h.ravel()
    columns = []
    for j in range(flat.size):
        plus, minus = flat.copy(), flat.copy()
        plus[j] += hf[j]
        minus[j] -= hf[j]
        fp = np.asarray(fun(plus.reshape(W.shape)), dtype=np.float64).ravel()
        fm = np.asarray(fun(minus.reshape(W.shape)), dtype=np.float64).ravel()
        columns.append((fp - fm) / (2.0 * float(hf[j])))
    return np.stack(columns, axis=1)


# The steps, as multiples of the base step h, at which each method takes
# central differences: central returns D(h) and compares it with D(h/2);
# Richardson returns R(h) (from D(h), D(h/2)) and compares it with R(2h).
_LADDER = {"central": (1.0, 0.5), "richardson": (2.0, 1.0, 0.5)}


def _combine(quotients: list, method: str):
    """The method's derivative from the differences on ``_LADDER[method]``, and its change.

    Central: ``D(h)`` and ``|D(h) - D(h/2)|``. Richardson:
    ``R(h) = (4 D(h/2) - D(h)) / 3`` and ``|R(2h) - R(h)|``.
    """
    if method == "central":
        return quotients[0], np.abs(quotients[0] - quotients[1])
    r_2h = (4.0 * quotients[1] - quotients[0]) / 3.0
    r_h = (4.0 * quotients[2] - quotients[1]) / 3.0
    return r_h, np.abs(r_2h - r_h)


def _directional_derivative(fun: Callable, W: np.ndarray, V: np.ndarray, method: str, step):
    """Derivative of ``t -> fun(W + t V)`` at 0, with an error estimate.

    Returns ``(value, error, t, f0)`` with ``value`` and ``error`` float64
    arrays of the shape of ``fun(W)`` and ``t`` the base step.

    The step in t is the method's factor times 1 (V has unit norm, and a
    loss of the logits ``X W`` varies on a scale set by ``X``, not by
    ``|W|``), rounded to a power of two so that ``t V`` is exact. The rounding
    of ``W + t V`` perturbs the point by up to ``eps |W| / 2``; for
    ``t -> fun(W + t V)`` that is evaluation noise, and the noise probe
    along V measures it with the rest.
    """
    _check_method(method)
    f0 = np.asarray(fun(W))
    eps_value = differences.finite_difference_eps(W.dtype, f0.dtype)
    if step is None:
        step = _step_factor(method, eps_value)
    t = _power_of_two(float(step))
    quotients = []
    for r in _LADDER[method]:
        tj = W.dtype.type(t * r)
        fp = np.asarray(fun(W + tj * V), dtype=np.float64)
        fm = np.asarray(fun(W - tj * V), dtype=np.float64)
        quotients.append((fp - fm) / (2.0 * float(tj)))
    value, change = _combine(quotients, method)
    noise = _evaluation_noise(fun, W, V, f0, eps_value)
    rounding = differences.difference_rounding_error(method, noise, t)
    return value, differences.halving_error_coef(method) * change + rounding, t, f0


# The noise probe's direction is pseudo-random (a structured direction could
# align with structure in f) but fixed, so that a check is reproducible.
_NOISE_PROBE_SEED = 20240917


def _probe_direction(shape, dtype) -> np.ndarray:
    """The fixed unit direction along which ``approx_derivative`` measures noise."""
    return directions(shape, _NOISE_PROBE_SEED, dtype=dtype)


def _evaluation_noise(fun: Callable, W: np.ndarray, P: np.ndarray, f0, eps_value: float) -> float:
    """Bound on the error of one evaluation of ``fun`` near ``W`` (see ``verify.numerics.differences``).

    Evaluates ``fun`` at ``W + i s P`` for ``i = -m..m`` (``f0`` is the
    ``i = 0`` value) and hands the 4th differences to
    ``verify.numerics.differences.evaluation_noise``. Costs ``2 m = 8`` evaluations.
    """
    s = differences.noise_spacing(eps_value)
    m = differences.NOISE_HALF_POINTS
    values = []
    for i in range(-m, m + 1):
        value = f0 if i == 0 else fun(W + W.dtype.type(i * s) * P)
        values.append(np.asarray(value, dtype=np.float64).ravel())
    diffs = np.diff(np.stack(values), n=differences.NOISE_DIFFERENCE_ORDER, axis=0)
    return differences.evaluation_noise(eps_value, _max_abs(f0), diffs)


# --------------------------------------------------------------------------
# Public approximations
# --------------------------------------------------------------------------


def approx_gradient(f: Callable, W, *, method: str = "central", step=None):
    """Gradient of a scalar function of a matrix by finite differences.

    Parameters
    ----------
    f : callable
        Maps an array of shape (D, K) (in W's dtype) to a scalar.
    W : array of shape (D, K), real floating
    method : {"central", "richardson"}
    step : float or array of shape (D, K), optional
        Absolute base step; default from ``central_difference_step`` or
        ``richardson_step``.

    Returns
    -------
    G : array of shape (D, K), float64
        The approximate gradient.
    error_estimate : array of shape (D, K), float64
        Estimated absolute error of each entry of ``G`` (see
        ``approx_derivative``).

    Notes
    -----
    ``f`` is evaluated in W's dtype, as the implementation would be used. In
    float32 a central difference is accurate to ``eps**(2/3) ~ 2e-5``
    relative only; the error estimate, and so the checkers' tolerance, says
    so.
    """
    W = _real_float("W", W)
    J, error, _, f0 = approx_derivative(f, W, method=method, step=step)
    if np.size(f0) != 1:
        raise ValueError(f"f: must return a scalar, returned an array of shape {np.shape(f0)}")
    return J[0].reshape(W.shape), error[0].reshape(W.shape)


def approx_jacobian(g: Callable, W, *, method: str = "central", step=None):
    """Jacobian of a matrix-valued function (typically a gradient) by finite differences.

    Parameters
    ----------
    g : callable
        Maps an array of shape (D, K) to an array of shape (D, K) (any shape
        works; it is flattened in C order).
    W : array of shape (D, K), real floating
    method : {"central", "richardson"}
    step : float or array of shape (D, K), optional

    Returns
    -------
    J : array of shape (D*K, D*K), float64
        ``J[i, j] = d g(W).ravel()[i] / d W.ravel()[j]``; for ``g`` the
        gradient this is the Hessian in the convention of ``DESIGN.md``.
    error_estimate : array of shape (D*K, D*K), float64
        Estimated absolute error of each entry.
    """
    W = _real_float("W", W)
    J, error, _, _ = approx_derivative(g, W, method=method, step=step)
    return J, error


def complex_step_gradient(f: Callable, W, h: float = differences.COMPLEX_STEP):
    """Gradient by the complex step, ``G_j = Im f(W + i h e_j) / h``.

    Parameters
    ----------
    f : callable
        Maps a complex array of shape (D, K) to a complex scalar, and must be
        analytic in each entry (no ``abs``, ``conj``, ``max`` of complex
        numbers). The caller decides whether an implementation qualifies.
    W : array of shape (D, K), real floating
    h : float
        The imaginary step; default 1e-20.

    Returns
    -------
    G : array of shape (D, K), float64
    error_estimate : array of shape (D, K), float64
        ``eps * max(1, max |G|)`` per entry (see Notes).

    Raises
    ------
    TypeError
        If ``f`` rejects complex input with a TypeError (as every
        implementation in ``impls`` does), or returns a real value (it
        dropped the imaginary part, and the gradient would read as 0).

    Notes
    -----
    ``f(x + ih) = f(x) + i h f'(x) - h**2 f''(x) / 2 - i h**3 f'''(x) / 6 + ...``
    so ``Im f(x + ih) / h = f'(x) + O(h**2)`` with no subtraction of nearly
    equal numbers: the step can be taken tiny, the truncation vanishes, and
    the result is accurate to rounding (Squire & Trapp, SIAM Review 40, 1998;
    Martins, Sturdza & Alonso, ACM TOMS 29, 2003). W's float32/float64
    becomes complex64/complex128.
    """
    W = _real_float("W", W)
    complex_dtype = np.result_type(W.dtype, np.complex64)
    base = W.astype(complex_dtype).ravel()
    G = np.empty(W.size, dtype=np.float64)
    for j in range(W.size):
        z = base.copy()
        z[j] += 1j * h
        try:
            value = f(z.reshape(W.shape))
        except TypeError as exc:
            raise TypeError(
                f"implementation does not accept complex input, so the complex step cannot be used: {exc}"
            ) from exc
        if not np.iscomplexobj(value):
            raise TypeError(
                "implementation does not accept complex input: it returned a real value for a complex "
                "argument (the imaginary part, which carries the derivative, was dropped)"
            )
        G[j] = np.imag(value) / h
    eps_value = differences.finite_difference_eps(W.dtype)
    error = np.full(W.shape, differences.complex_step_error(eps_value, _max_abs(G)))
    return G.reshape(W.shape), error


def directions(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """A random direction of unit Frobenius norm.

    Parameters
    ----------
    shape : tuple of int
        E.g. (D, K).
    rng : numpy Generator or seed, optional
    dtype : floating dtype of the result

    Returns
    -------
    V : array of the given shape, Gaussian entries scaled to ``||V||_F = 1``
        (uniform on the unit sphere).
    """
    rng = np.random.default_rng(rng)
    V = rng.standard_normal(shape)
    norm = np.linalg.norm(V)
    while norm == 0:  # only for a 0-sized shape or astronomically bad luck
        if V.size == 0:
            raise ValueError(f"shape: a direction needs at least one entry, got {shape!r}")
        V = rng.standard_normal(shape)
        norm = np.linalg.norm(V)
    return (V / norm).astype(dtype)


# --------------------------------------------------------------------------
# Checkers
# --------------------------------------------------------------------------


def check_gradient(
    loss_fn: Callable, grad_fn: Callable, W, *, method: str = "central", step=None, rtol_factor=None
) -> DerivativeCheck:
    """Compare ``grad_fn(W)`` with a numerical gradient of ``loss_fn``.

    Parameters
    ----------
    loss_fn : callable, (D, K) array -> scalar
    grad_fn : callable, (D, K) array -> array of shape (D, K)
    W : array of shape (D, K), real floating
    method : {"central", "richardson", "complex-step"}
        ``"complex-step"`` needs a ``loss_fn`` that accepts complex ``W``.
    step : float or array of shape (D, K), optional
        Base step for the differences (ignored by the complex step).
    rtol_factor : float, optional
        Multiplies the derived tolerance instead of
        ``verify.numerics.differences.FINITE_DIFFERENCE_SAFETY``.

    Returns
    -------
    DerivativeCheck
        ``quantity="grad"``; ``worst_index`` is ``(d, k)``.
    """
    W = _real_float("W", W)
    computed = _result("grad_fn", grad_fn(W), W.shape)
    if method == "complex-step":
        reference, error = complex_step_gradient(loss_fn, W)
        used_step = differences.COMPLEX_STEP
    else:
        J, error, h, f0 = approx_derivative(loss_fn, W, method=method, step=step)
        if np.size(f0) != 1:
            raise ValueError(f"loss_fn: must return a scalar, returned an array of shape {np.shape(f0)}")
        reference, error = J[0].reshape(W.shape), error[0].reshape(W.shape)
        used_step = float(np.max(h))
    return _compare("grad", method, used_step, computed, reference, error, W.dtype, rtol_factor)


def check_hessian(
    grad_fn: Callable, hess_fn: Callable, W, *, method: str = "central", step=None, rtol_factor=None
) -> DerivativeCheck:
    """Compare ``hess_fn(W)`` with the numerical Jacobian of ``grad_fn``.

    Parameters
    ----------
    grad_fn : callable, (D, K) array -> array of shape (D, K)
    hess_fn : callable, (D, K) array -> array of shape (D*K, D*K)
        In the convention of ``DESIGN.md`` (``W.ravel()`` in C order).
    W : array of shape (D, K), real floating
    method : {"central", "richardson"}
    step, rtol_factor : as in ``check_gradient``

    Returns
    -------
    DerivativeCheck
        ``quantity="hessian"``; ``worst_index`` is ``(row, col)``.

    Notes
    -----
    The reference is the derivative of ``grad_fn``, so this checks that the
    Hessian is consistent with the gradient; check the gradient against the
    loss first. The noise scale of a gradient evaluation is taken as
    ``max(1, max |grad_fn(W)|)``. Costs ``4 D K`` (central) or ``6 D K``
    (Richardson) gradient evaluations.
    """
    W = _real_float("W", W)
    n = W.size
    computed = _result("hess_fn", hess_fn(W), (n, n))
    J, error, h, _ = approx_derivative(grad_fn, W, method=method, step=step)
    if J.shape != (n, n):
        raise ValueError(f"grad_fn: must return an array of shape {W.shape}, returned {J.shape[0]} entries")
    return _compare("hessian", method, float(np.max(h)), computed, J, error, W.dtype, rtol_factor)


def check_hvp_against_hessian(
    hess_fn: Callable, hvp_fn: Callable, W, V, *, rtol_factor=None
) -> DerivativeCheck:
    """Compare ``hvp_fn(W, V)`` with ``(hess_fn(W) @ V.ravel()).reshape(D, K)``.

    Parameters
    ----------
    hess_fn : callable, (D, K) array -> array of shape (D*K, D*K)
    hvp_fn : callable, ((D, K) array W, (D, K) array V) -> array of shape (D, K)
    W, V : arrays of shape (D, K); V is cast to W's dtype.
    rtol_factor : as in ``check_gradient``

    Returns
    -------
    DerivativeCheck
        ``quantity="hvp"``, ``method="hessian matvec"``, ``step=0``.

    Notes
    -----
    No differences are involved. The reference's error is the rounding of
    the product, ``gamma_n max(|H| @ |v|)`` for ``n = D K`` (Higham eq. 3.5),
    plus the rounding ``H`` itself carries, carried through the product
    (``verify.numerics.differences.matvec_error``); the product is taken in float64
    from the Hessian in its own dtype.
    """
    W = _real_float("W", W)
    V = _direction(V, W)
    n = W.size
    H = _result("hess_fn", hess_fn(W), (n, n))
    computed = _result("hvp_fn", hvp_fn(W, V), W.shape)
    v = V.astype(np.float64).ravel()
    reference = (H.astype(np.float64) @ v).reshape(W.shape)
    eps_value = differences.finite_difference_eps(W.dtype, H.dtype)
    error = np.full(W.shape, differences.matvec_error(H, v, eps_value))
    return _compare("hvp", "hessian matvec", 0.0, computed, reference, error, W.dtype, rtol_factor)


def check_directional_gradient(
    loss_fn: Callable, grad_fn: Callable, W, V, *, method: str = "central", step=None, rtol_factor=None
) -> DerivativeCheck:
    """Compare ``<V, grad_fn(W)>`` with the derivative of ``t -> loss_fn(W + t V)`` at 0.

    For sizes where a full numerical gradient (``4 D K`` loss evaluations)
    costs too much: this takes 4 (central) or 6 (Richardson), whatever the
    size. A wrong gradient is caught unless its error happens to be
    orthogonal to V; use a few random ``directions``.

    Parameters
    ----------
    loss_fn : callable, (D, K) array -> scalar
    grad_fn : callable, (D, K) array -> array of shape (D, K)
    W, V : arrays of shape (D, K); V is cast to W's dtype (a unit Frobenius
        norm keeps the step rule's scale assumption).
    method : {"central", "richardson"}
    step : float, optional
        Base step in t (rounded to a power of two).
    rtol_factor : as in ``check_gradient``

    Returns
    -------
    DerivativeCheck
        ``quantity="directional grad"``, ``worst_index=None``.
    """
    W = _real_float("W", W)
    V = _direction(V, W)
    computed = _result("grad_fn", grad_fn(W), W.shape).astype(np.float64)
    value, error, t, f0 = _directional_derivative(loss_fn, W, V, method, step)
    if np.size(f0) != 1:
        raise ValueError(f"loss_fn: must return a scalar, returned an array of shape {np.shape(f0)}")
    inner = np.array(np.sum(V.astype(np.float64) * computed))
    reference, error = value.reshape(()), error.reshape(())
    return _compare("directional grad", method, t, inner, reference, error, W.dtype, rtol_factor)


def check_hvp_directional(
    grad_fn: Callable, hvp_fn: Callable, W, V, *, method: str = "central", step=None, rtol_factor=None
) -> DerivativeCheck:
    """Compare ``hvp_fn(W, V)`` with the derivative of ``t -> grad_fn(W + t V)`` at 0.

    Needs no Hessian: 4 (central) or 6 (Richardson) gradient evaluations.

    Parameters
    ----------
    grad_fn : callable, (D, K) array -> array of shape (D, K)
    hvp_fn : callable, ((D, K) array W, (D, K) array V) -> array of shape (D, K)
    W, V : arrays of shape (D, K); V is cast to W's dtype.
    method, step, rtol_factor : as in ``check_directional_gradient``

    Returns
    -------
    DerivativeCheck
        ``quantity="directional hvp"``; ``worst_index`` is ``(d, k)``.
    """
    W = _real_float("W", W)
    V = _direction(V, W)
    computed = _result("hvp_fn", hvp_fn(W, V), W.shape)
    value, error, t, f0 = _directional_derivative(grad_fn, W, V, method, step)
    if value.shape != W.shape:
        raise ValueError(f"grad_fn: must return an array of shape {W.shape}, returned shape {value.shape}")
    return _compare("directional hvp", method, t, computed, value, error, W.dtype, rtol_factor)


# --------------------------------------------------------------------------
# Private helpers
# --------------------------------------------------------------------------


def _compare(quantity, method, step, computed, reference, error, dtype, rtol_factor) -> DerivativeCheck:
    """Build the DerivativeCheck of ``computed`` against ``reference`` (same shape).

    The tolerance is ``verify.numerics.differences.derivative_tolerance`` of the
    largest entry of the reference's error estimate and of the reference's
    scale, in the eps of ``dtype``.
    """
    computed = np.asarray(computed, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    diff = np.abs(computed - reference)
    if np.any(np.isnan(diff)):
        worst_flat = int(np.argmax(np.isnan(diff).ravel()))
        max_abs = float("nan")
    else:
        worst_flat = int(np.argmax(diff.ravel())) if diff.size else 0
        max_abs = float(diff.ravel()[worst_flat]) if diff.size else 0.0
    scale = _max_abs(reference)
    if scale > 0:
        max_rel = max_abs / scale
    else:
        max_rel = 0.0 if max_abs == 0 else float("inf")
    error_estimate = _max_abs(error)
    eps_value = differences.finite_difference_eps(dtype)
    worst_index = None if diff.ndim == 0 else tuple(int(i) for i in np.unravel_index(worst_flat, diff.shape))
    return DerivativeCheck(
        quantity=quantity,
        method=method,
        step=float(step),
        max_abs_error=max_abs,
        max_rel_error=float(max_rel),
        error_estimate=error_estimate,
        tolerance=differences.derivative_tolerance(error_estimate, scale, eps_value, rtol_factor),
        scale=scale,
        worst_index=worst_index,
    )


def _real_float(name: str, value) -> np.ndarray:
    """``value`` as a real floating array (not copied); TypeError otherwise."""
    arr = np.asarray(value)
    if arr.dtype.kind != "f":
        raise TypeError(
            f"{name}: expected a real floating array (float32 or float64), got dtype {arr.dtype}; "
            "derivatives are taken in the dtype the point is given in"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: contains NaN or infinite entries")
    return arr


def _direction(V, W: np.ndarray) -> np.ndarray:
    """V as an array of W's shape and dtype."""
    V = np.asarray(V)
    if V.shape != W.shape:
        raise ValueError(f"V: expected the shape of W, {W.shape}, got {V.shape}")
    if V.dtype.kind not in "fiu":
        raise TypeError(f"V: expected a real array, got dtype {V.dtype}")
    V = V.astype(W.dtype)
    if not np.all(np.isfinite(V)):
        raise ValueError("V: contains NaN or infinite entries")
    return V


def _result(name: str, value, shape) -> np.ndarray:
    """A callable's result as an array, checked to have the expected shape."""
    arr = np.asarray(value)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name}: expected a result of shape {tuple(shape)}, got {arr.shape}")
    return arr


def _max_abs(a) -> float:
    """``max |a|`` as a float (0 for an empty array)."""
    a = np.asarray(a, dtype=np.float64)
    return float(np.max(np.abs(a))) if a.size else 0.0


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS} (or 'complex-step' for gradients), got {method!r}")

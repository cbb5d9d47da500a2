"""High-precision references for the fuzzer of the four families (tests/test_fuzz_families.py).

Each reference evaluates a method's result by its definition in mpmath at
``DIGITS`` significant digits, from the inputs converted exactly (a binary
float is a dyadic rational), and returns it rounded to float64: a float64
array (or a tuple of them, for methods that return tuples) that is Inf where
the exact result lies beyond float64's range. ``UNDEFINED`` says that the
exact result does not exist (ResNet-softmax where ``alpha(x) <= 0``).

The formulas are the ones the interfaces document (``impls/*/_protocol.py``
and the loss bases' docstrings), written again here independently of every
implementation: the softmax family's come from ``verify.numerics.precision``
(the harness's one high-precision softmax cross-entropy), the others are
below.
"""

from __future__ import annotations

import mpmath
import numpy as np

from verify.numerics import precision

DIGITS = 60
UNDEFINED = "undefined"
# The significant digits at which mpmath rounds like a dtype (53 and 23 bits), for the rounding-error estimate.
DTYPE_DIGITS = {np.dtype(np.float64): 15, np.dtype(np.float32): 6}


class at_digits:
    """Evaluate the references at ``digits`` significant digits (every intermediate result rounded to them)."""

    def __init__(self, digits: int):
        self.digits = digits

    def __enter__(self):
        global DIGITS
        self.previous, DIGITS = DIGITS, self.digits

    def __exit__(self, *exc):
        global DIGITS
        DIGITS = self.previous
mp = mpmath.mpf


def _digits(*arrays) -> int:
    """``DIGITS``, plus twice the decimal exponent of the largest product of entries of ``arrays`` (a logit's size).

    At fixed precision ``lse(z) - z_k`` keeps nothing of itself once ``|z|`` exceeds 10^DIGITS; with the
    extra digits it keeps ``DIGITS`` of them, and the sums of ``x (p - y)`` over samples cancel exactly. Only for the high-precision reference: the dtype-precision
    estimate (``at_digits``) is meant to round like the dtype.
    """
    if DIGITS < 40:
        return DIGITS
    extra = 0.0
    for a in arrays:
        top = float(np.max(np.abs(np.asarray(a, dtype=np.float64)), initial=0.0))
        extra += max(0.0, np.log10(top)) if top > 0 else 0.0
    return DIGITS + 2 * int(extra) + 4  # twice: the products with x after the softmax cancel too


def _mp(a):
    """Nested lists of mpf, exactly, from a float array (a scalar for 0-d)."""
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        return mp(float(arr))
    return np.vectorize(lambda v: mp(float(v)), otypes=[object])(arr).tolist()


def _out(value):
    """An mpf / nested lists of mpf as float64 (Inf where beyond the range; mpmath rounds to nearest)."""
    if isinstance(value, tuple):
        return tuple(_out(v) for v in value)
    return np.array(np.asarray(value, dtype=object).tolist(), dtype=np.float64) if not isinstance(value, mpmath.mpf) \
        else np.float64(float(value))


# --------------------------------------------------------------- softmax


def softmax_reference(method: str, args: dict):
    W, X = args["W"], args["X"]
    sw = args.get("sample_weight")
    sw = None if sw is None else np.asarray(sw, dtype=np.float64)
    digits = _digits(W, X)
    if method == "probs":
        return _out(precision.probs(W, X, digits))
    Y = args["Y"]
    if method == "loss":
        return _out(precision.cross_entropy(W, X, Y, sw, digits))
    if method == "grad":
        return _out(precision.gradient(W, X, Y, sw, digits))
    if method == "loss_grad":
        return _out(precision.cross_entropy(W, X, Y, sw, digits)), _out(precision.gradient(W, X, Y, sw, digits))
    H = precision.hessian(W, X, sw, digits)
    if method == "hessian":
        return _out(H)
    if method == "hvp":
        with mpmath.workdps(digits):
            v = [x for row in _mp(args["V"]) for x in row]
            Hv = [mpmath.fsum(h * vj for h, vj in zip(row, v)) for row in H.tolist()]
        return _out(np.array(Hv, dtype=object).reshape(np.shape(args["V"])))
    raise KeyError(method)


# --------------------------------------------------------- ResNet-softmax


def resnet_reference(method: str, args: dict):
    """``z = A x``, ``u = exp(z) + z``, ``alpha = <u, 1>``, ``f = u / alpha`` and the derivatives of ``_protocol``."""
    with mpmath.workdps(_digits(args["x"], args["A"])):
        x, A = _mp(args["x"]), _mp(args["A"])
        n, d = len(A), len(x)
        z = [mpmath.fsum(A[j][i] * x[i] for i in range(d)) for j in range(n)]
        e = [mpmath.exp(v) for v in z]
        alpha = mpmath.fsum(e[j] + z[j] for j in range(n))
        if method == "alpha":
            return _out(alpha)
        if not alpha > 0:
            return UNDEFINED
        f = [(e[j] + z[j]) / alpha for j in range(n)]
        if method == "f":
            return _out(f)
        b = _mp(args["b"])
        w = None if args.get("w") is None else _mp(args["w"])
        c = [f[j] - b[j] for j in range(n)]
        h = [(e[j] + 1) / alpha for j in range(n)]
        p = [e[j] / alpha for j in range(n)]
        r = mpmath.fsum(c[j] * f[j] for j in range(n))
        gamma = mpmath.fsum((3 * f[j] - 2 * b[j]) * f[j] for j in range(n))
        q = [h[j] * (2 * f[j] - b[j]) for j in range(n)]
        w2 = [mp(0)] * n if w is None else [v * v for v in w]
        if method == "loss":
            return _out(mpmath.fsum(v * v for v in c) / 2 + mpmath.fsum(w2[j] * z[j] ** 2 for j in range(n)) / 2)
        if method == "grad":
            v = [h[j] * (c[j] - r) + w2[j] * z[j] for j in range(n)]
            return _out([mpmath.fsum(A[j][i] * v[j] for j in range(n)) for i in range(d)])
        if method == "low_rank_factors":
            return _out(gamma), _out(h), _out(q)
        B_diag = [h[j] * h[j] + p[j] * (c[j] - r) for j in range(n)]
        if method == "B_diag":
            return _out(B_diag)
        B_rank = [[gamma * h[j] * h[k] - q[j] * h[k] - h[j] * q[k] for k in range(n)] for j in range(n)]
        if method == "B_rank":
            return _out(B_rank)
        B = [[B_rank[j][k] + (B_diag[j] if j == k else 0) for k in range(n)] for j in range(n)]
        if method == "B":
            return _out(B)
        if method == "hessian":
            M = [[B[j][k] + (w2[j] if j == k else 0) for k in range(n)] for j in range(n)]
            return _out([[mpmath.fsum(A[j][i] * M[j][k] * A[k][l] for j in range(n) for k in range(n))
                          for l in range(d)] for i in range(d)])
    raise KeyError(method)


# ---------------------------------------------------------------- depth-2


def _activation(name, u):
    """(sigma, sigma', sigma'') at u."""
    # the forms without cancellation: 1 - sigma(u) = sigma(-u), 1 - 2 sigma(u) = -tanh(u/2), 1 - tanh(u)^2 = sech(u)^2
    if name == "sigmoid":
        s, q = 1 / (1 + mpmath.exp(-u)), 1 / (1 + mpmath.exp(u))
        return s, s * q, -s * q * mpmath.tanh(u / 2)
    if name == "tanh":
        t, sech2 = mpmath.tanh(u), mpmath.sech(u) ** 2
        return t, sech2, -2 * t * sech2
    s, q = 1 / (1 + mpmath.exp(-u)), 1 / (1 + mpmath.exp(u))
    return mpmath.log1p(mpmath.exp(u)) if u < 0 else u + mpmath.log1p(mpmath.exp(-u)), s, s * q


def depth2_reference(method: str, args: dict):
    """``L = (1/n) sum_i log(1 + exp(-y_i f_i)) + (lam/2) ||theta||^2`` and its derivatives (``_protocol``)."""
    pb, rows = args["problem"], args.get("rows")
    outer = pb.a if pb.a is not None else args["theta"]
    with mpmath.workdps(_digits(args["theta"], pb.X, outer)):
        theta = [mp(float(t)) for t in np.asarray(args["theta"], dtype=np.float64)]
        X, y = _mp(pb.X), _mp(pb.y)
        if rows is not None:
            X, y = [X[i] for i in rows], [y[i] for i in rows]
        n, d, p, dim = len(X), pb.d, pb.p, pb.dim
        lam = mp(float(pb.lam))
        W = [[theta[j * p + k] for k in range(p)] for j in range(d)]
        a = theta[d * p:] if pb.train_outer else _mp(pb.a)
        loss = lam / 2 * mpmath.fsum(t * t for t in theta)
        G = [lam * t for t in theta]
        H = [[lam if r == s else mp(0) for s in range(dim)] for r in range(dim)]
        for i in range(n):
            acts = [_activation(pb.activation, mpmath.fsum(X[i][j] * W[j][k] for j in range(d))) for k in range(p)]
            m = y[i] * mpmath.fsum(a[k] * acts[k][0] for k in range(p))
            loss += (mpmath.log1p(mpmath.exp(-m)) if m > 0 else -m + mpmath.log1p(mpmath.exp(m))) / n
            l1 = -1 / (1 + mpmath.exp(m)) * y[i] / n  # dl/df_i / n
            l2 = 1 / ((1 + mpmath.exp(m)) * (1 + mpmath.exp(-m))) / n
            df = [a[k] * acts[k][1] * X[i][j] for j in range(d) for k in range(p)]
            if pb.train_outer:
                df += [acts[k][0] for k in range(p)]
            for r in range(dim):
                G[r] += l1 * df[r]
                for s in range(dim):
                    H[r][s] += l2 * df[r] * df[s]
            for k in range(p):
                for j in range(d):
                    for jj in range(d):
                        H[j * p + k][jj * p + k] += l1 * a[k] * acts[k][2] * X[i][j] * X[i][jj]
                    if pb.train_outer:
                        H[j * p + k][d * p + k] += l1 * acts[k][1] * X[i][j]
                        H[d * p + k][j * p + k] += l1 * acts[k][1] * X[i][j]
        results = {"loss": loss, "grad": G, "hessian": H, "laplacian": mpmath.fsum(H[r][r] for r in range(dim))}
        if method == "loss_grad":
            return _out(loss), _out(G)
        return _out(results[method])


# ------------------------------------------------------------- reweighted


def _sigma(z):
    return 1 / (1 + mpmath.exp(-z))


def _logit_loss_grad(loss, Z, Y):
    """The mean loss of ``loss`` (an instance, for its name and hyperparameters) and dL/dZ, in mpmath."""
    N, K = len(Z), len(Z[0])
    name = loss.name
    total, G = mp(0), [[mp(0)] * K for _ in range(N)]
    if name == "softmax":
        alpha = [mp(1)] * K if loss.class_weight is None else [mp(float(v)) for v in loss.class_weight]
        for i in range(N):
            s = mpmath.fsum(alpha[k] * Y[i][k] for k in range(K))
            lse = max(Z[i]) + mpmath.log(mpmath.fsum(mpmath.exp(v - max(Z[i])) for v in Z[i]))
            # lse - z_k as log1p(sum_{j != k} e^(z_j - z_k)): the difference would lose a loss of 1e-87 at z = (200, 0)
            total += s * mpmath.fsum(Y[i][k] * precision.lse_minus(Z[i], k) for k in range(K) if Y[i][k] != 0)
            for k in range(K):
                G[i][k] = s * (mpmath.exp(Z[i][k] - lse) - Y[i][k]) / N
        return total / N, G
    coef = _logistic_coefficients(loss, Z, Y)
    for i in range(N):
        for k in range(K):
            a, b = coef[i][k]
            z = Z[i][k]
            # -log p and -log(1 - p) each in the form without cancellation (sp - z would lose a loss of 1e-87 at
            # 50 digits), and 1 - p as sigma(-z)
            neg_log_p = mpmath.log1p(mpmath.exp(-z)) if z > 0 else -z + mpmath.log1p(mpmath.exp(z))
            neg_log_q = z + mpmath.log1p(mpmath.exp(-z)) if z > 0 else mpmath.log1p(mpmath.exp(z))
            total += a * neg_log_p + b * neg_log_q
            G[i][k] = (b * _sigma(z) - a * _sigma(-z)) / N
    if name == "candidate_inr" and loss.gamma != 0:
        gamma = mp(loss.gamma)
        for i in range(N):
            t = Y[i].index(1)
            u = [Z[i][k] + mpmath.log1p(mpmath.exp(-Z[i][k])) if Z[i][k] > 0 else mpmath.log1p(mpmath.exp(Z[i][k]))
                 for k in range(K)]
            ubar = mpmath.fsum(coef[i][k][1] * u[k] for k in range(K) if k != t)
            for k in range(K):
                if k != t:
                    G[i][k] += gamma * coef[i][k][1] * _sigma(-Z[i][k]) * (u[k] - ubar / (K - 1)) / N
    return total / N, G


def _logistic_coefficients(loss, Z, Y):
    """``(a_ik, b_ik)``: the weights of ``-log p_ik`` and ``-log(1 - p_ik)`` of a logistic loss."""
    N, K = len(Z), len(Z[0])
    name = loss.name
    if name == "binary_logistic":
        a0, a1 = (1, 1) if loss.class_weight is None else [mp(float(v)) for v in loss.class_weight]
        return [[(a1 * Y[i][0], a0 * (1 - Y[i][0]))] for i in range(N)]
    if name == "one_vs_all":
        ap = [mp(1)] * K if loss.positive_weight is None else [mp(float(v)) for v in loss.positive_weight]
        an = [mp(1)] * K if loss.negative_weight is None else [mp(float(v)) for v in loss.negative_weight]
        return [[(ap[k] * Y[i][k], an[k] * (1 - Y[i][k])) for k in range(K)] for i in range(N)]
    omega = candidate_omega(loss, Z, Y) if name.startswith("candidate") else _mp(loss.omega)
    return [[(Y[i][k], 0 if Y[i][k] == 1 else omega[i][k]) for k in range(K)] for i in range(N)]


def candidate_omega(loss, Z, Y):
    """``omega_ik = (K - 1) p_ik^gamma / sum_{j != y_i} p_ij^gamma``, 0 at the target."""
    K = len(Z[0])
    out = []
    for zr, yr in zip(Z, Y):
        pg = [mpmath.power(_sigma(z), mp(loss.gamma)) for z in zr]
        total = mpmath.fsum(v for v, t in zip(pg, yr) if t != 1)
        out.append([mp(0) if t == 1 else (K - 1) * v / total for v, t in zip(pg, yr)])
    return out


def _logit_hessian_coefficients(loss, Z, Y):
    """``d2L/dz_ik dz_il`` as (N, K, K) lists, for the losses with a Hessian."""
    N, K = len(Z), len(Z[0])
    if loss.name == "softmax":
        alpha = [mp(1)] * K if loss.class_weight is None else [mp(float(v)) for v in loss.class_weight]
        out = []
        for i in range(N):
            s = mpmath.fsum(alpha[k] * Y[i][k] for k in range(K))
            lse = max(Z[i]) + mpmath.log(mpmath.fsum(mpmath.exp(v - max(Z[i])) for v in Z[i]))
            P = [mpmath.exp(v - lse) for v in Z[i]]
            # diag(p) - p p^T with 1 - p_k written sum_{j != k} p_j: 1 - p at z = 200 is 1e-87, lost at 50 digits
            rest = [mpmath.fsum(P[j] for j in range(K) if j != k) for k in range(K)]
            out.append([[s * P[k] * (rest[k] if k == l else -P[l]) / N for l in range(K)] for k in range(K)])
        return out
    coef = _logistic_coefficients(loss, Z, Y)
    out = []
    for i in range(N):
        rows = [[mp(0)] * K for _ in range(K)]
        for k in range(K):
            # p (1 - p) as sigma(z) sigma(-z): 1 - p at z = 200 is 1e-87, lost at 50 digits
            rows[k][k] = (coef[i][k][0] + coef[i][k][1]) * _sigma(Z[i][k]) * _sigma(-Z[i][k]) / N
        out.append(rows)
    return out


def reweighted_reference(method: str, args: dict, loss):
    if method == "sample_weights":
        with mpmath.workdps(DIGITS):
            Y = np.asarray(args["Y"])
            K = Y.shape[1]
            alpha = [1.0] * K if loss.class_weight is None else [float(v) for v in loss.class_weight]
            return _out([mpmath.fsum(mp(alpha[k]) * mp(float(y[k])) for k in range(K)) for y in Y])
    magnitudes = (args["Z"],) if method.startswith("logit_") or method == "candidate_weights" else (args["W"], args["X"])
    with mpmath.workdps(_digits(*magnitudes)):
        if method.startswith("logit_") or method == "candidate_weights":
            Z = _mp(args["Z"])
        else:
            W, X = _mp(args["W"]), _mp(args["X"])
            D, K = len(W), len(W[0])
            Z = [[mpmath.fsum(x[d] * W[d][k] for d in range(D)) for k in range(K)] for x in X]
        if method in ("logit_probs", "probs"):
            if loss.name == "softmax":
                return _out([[mpmath.exp(z - max(r)) / mpmath.fsum(mpmath.exp(v - max(r)) for v in r) for z in r] for r in Z])
            return _out([[_sigma(z) for z in r] for r in Z])
        Y = _mp(args["Y"])
        if method == "candidate_weights":
            return _out(candidate_omega(loss, Z, Y))
        L, G = _logit_loss_grad(loss, Z, Y)
        if method == "logit_loss_grad":
            return _out(L), _out(G)
        if method == "logit_loss" or method == "loss":
            return _out(L)
        if method == "logit_grad":
            return _out(G)
        N = len(X)
        lifted = [[mpmath.fsum(X[i][d] * G[i][k] for i in range(N)) for k in range(K)] for d in range(D)]
        if method == "grad":
            return _out(lifted)
        if method == "loss_grad":
            return _out(L), _out(lifted)
        if method == "hessian":
            C = _logit_hessian_coefficients(loss, Z, Y)
            return _out([[mpmath.fsum(X[i][d] * X[i][e] * C[i][k][l] for i in range(N))
                          for e in range(D) for l in range(K)] for d in range(D) for k in range(K)])
    raise KeyError(method)


# ------------------------------------------------------- scales of the terms


def resnet_term_scale(method: str, args: dict) -> float:
    """The result evaluated in absolute values (|c| = |f| + |b|, |gamma| <= sum (3|f| + 2|b|) |f|, ...), in float64.

    The scale of the terms a result sums: Higham's forward error bound of a sum of terms t is
    ``gamma_m sum |t|``, however much the terms cancel (B is exactly 0 for n = 1, a sum of terms of size 1).
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x, A = np.asarray(args["x"], dtype=np.float64), np.asarray(args["A"], dtype=np.float64)
        z = A @ x
        s = max(0.0, float(np.max(z)))
        e, g = np.exp(z - s), np.exp(-s)
        alpha = float(np.sum(e + z * g))
        if not alpha > 0:
            return 0.0
        absolute = float(np.sum(e + np.abs(z) * g))
        if method == "alpha":
            return absolute * np.exp(s)
        f, h, p = np.abs(e + z * g) / alpha, (e + g) / alpha, e / alpha
        grow = absolute / alpha  # the scale of alpha's terms against alpha itself (cancellation in alpha)
        if method == "f":
            return float(np.max(f)) * grow
        b = np.abs(np.asarray(args["b"], dtype=np.float64))
        w2 = np.zeros_like(z) if args.get("w") is None else np.asarray(args["w"], dtype=np.float64) ** 2
        c = f + b
        r = float(np.sum(c * f))
        gamma = float(np.sum((3 * f + 2 * b) * f))
        q = h * (2 * f + b)
        B_diag = h * h + p * (c + r)
        B = gamma * np.outer(h, h) + 2 * np.outer(q, h) + np.diag(B_diag)
        scales = {
            "loss": float(np.sum(c * c) / 2 + np.sum(w2 * z * z) / 2),
            "grad": float(np.max(np.abs(A).T @ (h * (c + r) + w2 * np.abs(z)))),
            "low_rank_factors": max(gamma, float(np.max(h)), float(np.max(q))),
            "B_diag": float(np.max(B_diag)), "B_rank": float(np.max(B)), "B": float(np.max(B)),
            "hessian": float(np.max(np.abs(A).T @ (B + np.diag(w2)) @ np.abs(A))),
        }
        return scales[method] * grow**4  # alpha divides up to 4 times (validation's alpha_error_bound)


def depth2_term_scale(method: str, args: dict) -> float:
    """The size of the terms the depth-2 gradient sums: ``|lam theta| + (1/n) sum_i |df_i|`` (|dl/df| <= 1), in float64.

    The data terms of the gradient cancel between samples (y = -1 and y = 1 at X = 0 give 1/8 - 1/8), so an
    entry of lam theta = 1e-155 beside them is below the rounding of their sum: Higham's bound of a sum is
    ``gamma_m sum |t|``. Only the gradient is given a scale; the other methods keep the result's own.
    """
    if method not in ("grad", "loss_grad"):
        return 0.0
    pb = args["problem"]
    with np.errstate(over="ignore", invalid="ignore"):
        theta = np.abs(np.asarray(args["theta"], dtype=np.float64))
        X = np.abs(np.asarray(pb.X, dtype=np.float64))
        if args.get("rows") is not None:  # a minibatch: the mean is over its rows
            X = X[np.asarray(args["rows"])]
        d, p = pb.d, pb.p
        W = theta[: d * p].reshape(d, p)
        a = theta[d * p:] if pb.train_outer else np.abs(np.asarray(pb.a, dtype=np.float64))
        # |act| <= 1 + |u| and |act'| <= 1 for the activations the family takes (sigmoid, tanh, softplus)
        u = X @ W
        inner = float(np.max(np.mean(X, axis=0)[:, None] * a[None, :], initial=0.0))
        outer = float(np.max(np.mean(1 + u, axis=0), initial=0.0)) if pb.train_outer else 0.0
        return float(np.max(pb.lam * theta, initial=0.0)) + max(inner, outer)


def softmax_term_scale(method: str, args: dict) -> float:
    """The size of the terms a result sums: ``|z|`` for the loss, ``|x| (p + y)`` for the gradient, ..."""
    with np.errstate(over="ignore", invalid="ignore"):
        X, W = np.abs(np.asarray(args["X"], dtype=np.float64)), np.abs(np.asarray(args["W"], dtype=np.float64))
        x = float(np.max(X))
        if method == "probs":
            return 1.0
        if method == "loss":
            return float(np.max(X @ W)) + float(np.log(W.shape[1]))
        if method == "grad":
            return 2 * x
        if method == "hessian":
            return 2 * x * x
        if method == "hvp":
            return 2 * x * float(np.max(X @ np.abs(np.asarray(args["V"], dtype=np.float64))))
        return max(float(np.max(X @ W)) + float(np.log(W.shape[1])), 2 * x)  # loss_grad

"""The folklore certificates: a counterexample re-checked with mpmath at 50 significant digits.

Each function is the ``confirm`` of a search (``verify.harness.evidence``):
it re-evaluates the shrunk counterexample from the definitions in high
precision and says whether the violation is real (``confirmed``), so that a
float rounding artifact never refutes a claim. The margin a confirmed
violation must exceed is derived in ``tolerances``
(``folklore_high_precision_margin``). Functions share the names of the float
measurements they confirm (``measures``).
"""

from __future__ import annotations

import mpmath
import numpy as np

from ...numerics import precision as hp
from ...numerics.optimizers import newton_on_complement
from . import tolerances as tol
from .formulas import SEGMENT_GRID, X1, chain, chord_gaps, segment_weights, worst_descent_step

HP_METHOD = f"mpmath {hp.HIGH_PRECISION_DIGITS} digits"


def mpf(x) -> mpmath.mpf:
    """A float as an mpf, exactly (an mpf is kept as it is)."""
    return x if isinstance(x, mpmath.mpf) else mpmath.mpf(float(x))


def mp_vec(v) -> list:
    """An array (of floats or mpf) as a flat list of mpf, exactly."""
    return [mpf(x) for x in np.asarray(v, dtype=object).ravel().tolist()]


def mp_ce(y, z) -> mpmath.mpf:
    """CE(y, z) = sum_k y_k (lse(z) - z_k) by definition (any y >= 0); call inside workdps."""
    z, y = mp_vec(z), mp_vec(y)
    lse = hp.logsumexp(z)
    return mpmath.fsum(yk * (lse - zk) for yk, zk in zip(y, z))


def mp_cross_entropy_pq(p, q) -> mpmath.mpf:
    """H(p, q) = -sum_k p_k log q_k (0 log q = 0); call inside workdps."""
    return -mpmath.fsum(pk * mpmath.log(qk) for pk, qk in zip(mp_vec(p), mp_vec(q)) if pk > 0)


def mp_gradient(f, z) -> list:
    """Gradient of f (a function of K mpf arguments) at z by mpmath's high-precision differentiation."""
    z = mp_vec(z)
    K = len(z)
    return [mpmath.diff(f, z, tuple(int(j == k) for j in range(K))) for k in range(K)]


def mp_matrix(A) -> np.ndarray:
    """A float or mpf array as an object array of mpf (exact conversion)."""
    A = np.asarray(A, dtype=object)
    return np.vectorize(mpf, otypes=[object])(A) if A.size else A


def ce_convexity(ex) -> dict:
    """F1, F14: the convexity gap of CE(y, .) on the segment, with the exact mixture of the logits."""
    y, z1, z2, lam = ex["y"], ex["z1"], ex["z2"], ex["lambda"]
    with hp.workdps():
        lm = mpf(lam)
        zm = [lm * a + (1 - lm) * b for a, b in zip(mp_vec(z1), mp_vec(z2))]
        f1, f2, fm = mp_ce(y, z1), mp_ce(y, z2), mp_ce(y, zm)
        gap = fm - (lm * f1 + (1 - lm) * f2)
    margin = tol.folklore_high_precision_margin(max(abs(f1), abs(f2)))
    return {"confirmed": bool(gap > margin), "method": HP_METHOD, "gap": float(gap), "margin": margin}


def hessian_psd(hessian_of):
    """F1, F2, F11: lambda_min of the Hessian in W, computed and diagonalised in high precision."""
    def confirm(ex) -> dict:
        W, X, Y = hessian_of(ex)
        lam = hp.eigvalsh(hp.hessian(W, X))[0]
        margin = tol.folklore_high_precision_margin()
        return {"confirmed": bool(-lam > margin), "method": HP_METHOD, "lambda_min": float(lam), "margin": margin}
    return confirm


def line_convexity(pb) -> dict:
    """F2, F11: the midpoint gap of L along the line, at the exact points W - V, W + V."""
    X, W, Y, V = pb.X, pb.W, pb.Y, pb.V
    with hp.workdps():
        Wm, Vm = mp_matrix(W), mp_matrix(V)
        fm = hp.cross_entropy(Wm - Vm, X, Y)
        fp = hp.cross_entropy(Wm + Vm, X, Y)
        f0 = hp.cross_entropy(Wm, X, Y)
        gap = f0 - (fm + fp) / 2
    margin = tol.folklore_high_precision_margin(max(abs(fm), abs(fp)))
    return {"confirmed": bool(gap > margin), "method": HP_METHOD, "gap": float(gap), "margin": margin}


def gradient_p_minus_y(ex) -> dict:
    """F3: mpmath's derivative of the definition of CE against p - y (and against the general (sum y) p - y)."""
    y, z = ex["y"], ex["z"]
    with hp.workdps():
        g = mp_gradient(lambda *zz: mp_ce(y, zz), z)
        p = hp.softmax(mp_vec(z))
        ym = mp_vec(y)
        s = mpmath.fsum(ym)
        claimed = max(abs(gk - (pk - yk)) for gk, pk, yk in zip(g, p, ym))
        general = max(abs(gk - (s * pk - yk)) for gk, pk, yk in zip(g, p, ym))
    margin = tol.folklore_high_precision_margin()
    return {"confirmed": bool(claimed > margin), "method": HP_METHOD + " (mpmath.diff of the definition)",
            "max |dCE/dz - (p - y)|": float(claimed), "max |dCE/dz - ((sum y) p - y)|": float(general),
            "sum_y": float(s), "gradient": [float(v) for v in g], "margin": margin}


def gradient_general_form(ex) -> dict:
    """F3: high-precision re-check of a violation of the general form (sum y) p - y."""
    out = gradient_p_minus_y(ex)
    general = out["max |dCE/dz - ((sum y) p - y)|"]
    out["confirmed"] = bool(general > tol.folklore_high_precision_margin())
    return out


def softmax_jacobian_entries(ex) -> dict:
    """F4: mpmath's derivatives of softmax against p_k (delta_kl - p_l), entry by entry."""
    z = ex["z"]
    K = len(z)
    with hp.workdps():
        p = hp.softmax(mp_vec(z))
        worst = mpmath.mpf(0)
        for k in range(K):
            g = mp_gradient(lambda *zz, k=k: hp.softmax(list(zz))[k], z)
            for l in range(K):
                worst = max(worst, abs(g[l] - (p[k] * ((1 if k == l else 0) - p[l]))))
    margin = tol.folklore_high_precision_margin()
    return {"confirmed": bool(worst > margin), "method": HP_METHOD + " (mpmath.diff)", "max_error": float(worst),
            "margin": margin}


def softmax_jacobian_structure(ex) -> dict:
    """F4: lambda_min and the row sums of diag(p) - p p^T at the high-precision p."""
    z = ex["z"]
    K = len(z)
    with hp.workdps():
        p = hp.softmax(mp_vec(z))
        J = [[p[k] * ((1 if k == l else 0) - p[l]) for l in range(K)] for k in range(K)]
        lam = hp.eigvalsh(np.array(J, dtype=object))[0]
        row = max(abs(mpmath.fsum(r)) for r in J)
    margin = tol.folklore_high_precision_margin()
    return {"confirmed": bool(-lam > margin or row > margin), "method": HP_METHOD, "lambda_min": float(lam),
            "max |J 1|": float(row), "margin": margin}


def h_convexity(ex) -> dict:
    """F5: the convexity gap of H(p, .) with the exact mixture of q1 and q2."""
    p, q1, q2, lam = ex["p"], ex["q1"], ex["q2"], ex["lambda"]
    with hp.workdps():
        lm = mpf(lam)
        qm = [lm * a + (1 - lm) * b for a, b in zip(mp_vec(q1), mp_vec(q2))]
        h1, h2 = mp_cross_entropy_pq(p, q1), mp_cross_entropy_pq(p, q2)
        gap = mp_cross_entropy_pq(p, qm) - (lm * h1 + (1 - lm) * h2)
    margin = tol.folklore_high_precision_margin(max(h1, h2))
    return {"confirmed": bool(gap > margin), "method": HP_METHOD, "gap": float(gap), "margin": margin}


def kl_identity(ex) -> dict:
    """F6: KL(p||q) - (H(p, q) - H(p)) from the definitions."""
    p, q = ex["p"], ex["q"]
    with hp.workdps():
        pm, qm = mp_vec(p), mp_vec(q)
        kl = mpmath.fsum(a * mpmath.log(a / b) for a, b in zip(pm, qm) if a > 0)
        hpq = mp_cross_entropy_pq(p, q)
        diff = abs(kl - (hpq - mp_cross_entropy_pq(p, p)))
    margin = tol.folklore_high_precision_margin(hpq)
    return {"confirmed": bool(diff > margin), "method": HP_METHOD, "|KL - (H(p,q) - H(p))|": float(diff), "margin": margin}


def sigmoid_identity(ex) -> dict:
    """F7: softmax([a, b]) against the sigmoid, and CE against BCE."""
    a, b, t = ex["a"], ex["b"], ex["t"]
    with hp.workdps():
        am, bm, tm = mpf(a), mpf(b), mpf(t)
        p = hp.softmax([am, bm])
        s = 1 / (1 + mpmath.exp(-(am - bm)))
        s_bar = 1 / (1 + mpmath.exp(am - bm))  # 1 - sigmoid(a - b), without the cancellation of 1 - s
        ce = mp_ce([t, 1 - t], [a, b])
        bce = -tm * mpmath.log(s) - (1 - tm) * mpmath.log(s_bar)
        diff = max(abs(p[0] - s), abs(p[1] - s_bar), abs(ce - bce))
    margin = tol.folklore_high_precision_margin(abs(a) + abs(b))
    return {"confirmed": bool(diff > margin), "method": HP_METHOD, "difference": float(diff), "margin": margin}


def chord_convexity(ex) -> dict:
    """F8, F9: the worst chord gap on the segment's grid, the mixtures and the network product exact."""
    X, Y, A, B = ex["X"], ex["Y"], ex["A"], ex["B"]
    with hp.workdps():
        Am = [mp_matrix(a) for a in A]
        Bm = [mp_matrix(b) for b in B]
        lams = [mpf(lam) for lam in SEGMENT_GRID]
        g = [hp.cross_entropy(chain(segment_weights(Am, Bm, lm)), X, Y) for lm in lams]
        gap, i, j, k = max(chord_gaps(g, lams), key=lambda t: t[0])
    margin = tol.folklore_high_precision_margin(max(g))
    return {"confirmed": bool(gap > margin), "method": HP_METHOD + " (exact mixture weights)",
            "chord lambdas (lam_i, lam_j, lam_k)": [SEGMENT_GRID[i], SEGMENT_GRID[j], SEGMENT_GRID[k]],
            "L at (lam_i, lam_j, lam_k)": [float(g[i]), float(g[j]), float(g[k])], "gap": float(gap), "margin": margin}


def ce_in_unit_interval(ex) -> dict:
    """F10: CE outside [0, 1], and whether the geometric mean of the probabilities (p_true) is below 1/e."""
    y, z = ex["y"], ex["z"]
    with hp.workdps():
        ce = mp_ce(y, z)
        p = hp.softmax(mp_vec(z))
        geo = mpmath.exp(-ce)
    one_hot = bool(np.count_nonzero(y) == 1)
    out = {"confirmed": bool(ce - 1 > tol.folklore_high_precision_margin() or ce < -tol.folklore_high_precision_margin()),
           "method": HP_METHOD, "CE": float(ce), "prod_k p_k^y_k": float(geo), "1/e": float(1 / mpmath.e),
           "prod_k p_k^y_k < 1/e": bool(geo < 1 / mpmath.e)}
    if one_hot:
        c = int(np.argmax(y))
        out.update({"p_true": float(p[c]), "p_true < 1/e": bool(p[c] < 1 / mpmath.e)})
    return out


def shifted_minimizer(impl):
    """F12 (a): the loss and gradient at W* and at the exactly shifted W* + c 1^T are the same; c != 0."""
    def confirm(ex) -> dict:
        pb, c = ex["problem"], ex["c"]
        X, Y = pb.X, pb.Y
        res = newton_on_complement(impl, X, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        with hp.workdps():
            W1 = mp_matrix(res.W)
            W2 = W1 + np.array([[mpf(ci)] * Y.shape[1] for ci in c], dtype=object)  # exact shift
            l1, l2 = hp.cross_entropy(W1, X, Y), hp.cross_entropy(W2, X, Y)
            g1, g2 = hp.gradient(W1, X, Y), hp.gradient(W2, X, Y)
            dl = abs(l2 - l1)
            dg = max(abs(a - b) for a, b in zip(g1.ravel(), g2.ravel()))
            gn = mpmath.sqrt(mpmath.fsum(g ** 2 for g in g1.ravel()))
        margin = tol.folklore_high_precision_margin(float(l1))
        distinct = bool(np.any(c != 0))
        return {"confirmed": bool(res.exists is True and res.certificate < 1 and dl <= margin and dg <= margin and distinct),
                "method": HP_METHOD + " (exact shift W* + c 1^T)", "|L(W*+c1^T) - L(W*)|": float(dl),
                "max |grad difference|": float(dg), "||grad L(W*)||": float(gn), "newton certificate": res.certificate,
                "newton": res.reason, "margin": margin}
    return confirm


def no_minimizer(impl):
    """Exact certificate of non-existence for one-hot targets: a direction V with every margin >= 0, one > 0.

    Then for every W, L(W + t V) is strictly decreasing in t (each sample's
    terms exp(z_k - z_c) do not grow, and those of a sample with a positive
    margin shrink), so L(W + V) < L(W) and no W is a minimizer.
    """
    def confirm(pb) -> dict:
        X, Y = pb.X, pb.Y
        res = newton_on_complement(impl, X, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        V = res.W / np.linalg.norm(res.W)
        one_hot = bool(np.all(np.count_nonzero(Y, axis=1) == 1))
        out = {"method": HP_METHOD + " (margins of the direction W_final / ||W_final||; loss along the ray)",
               "one-hot targets": one_hot, "newton": res.reason}
        out["confirmed"] = False
        if not one_hot:
            out["note"] = "the exact certificate (margins of a direction) applies to one-hot targets only"
            return out
        labels = np.argmax(Y, axis=1)
        with hp.workdps():
            Z = hp.logits(V, X)
            # margin_n = z_nc - max_{k != c} z_nk; with every margin >= 0 each sample's CE is non-increasing
            # along W + t V for every W, and strictly decreasing where the margin is > 0.
            margins = [z[c] - max(zk for k, zk in enumerate(z) if k != c) for z, c in zip(Z, labels)]
            ts = [mpmath.mpf(2) ** j for j in range(0, 11)]
            # L(t V) = (1/N) sum_n log1p(sum_{k != c} exp(t (z_nk - z_nc))): accurate however small it gets.
            losses = [mpmath.fsum(mpmath.log1p(mpmath.fsum(mpmath.exp(t * (zk - z[c])) for k, zk in enumerate(z) if k != c))
                                  for z, c in zip(Z, labels)) / len(Z) for t in ts]
        decreasing = all(b < a for a, b in zip(losses, losses[1:]))
        out.update({"min margin": float(min(margins)), "max margin": float(max(margins)), "t": [float(t) for t in ts],
                    "L(t V)": [mpmath.nstr(v, 6) for v in losses], "strictly decreasing": decreasing,
                    "L > 0 along the ray": bool(all(v > 0 for v in losses))})
        out["confirmed"] = bool(min(margins) >= 0 and max(margins) > tol.folklore_high_precision_margin() and decreasing)
        return out
    return confirm


def nll_identity(pb) -> dict:
    """F13: the mean NLL of the labels against the mean CE."""
    X, W, Y = pb.X, pb.W, pb.Y
    labels = np.argmax(Y, axis=1)
    with hp.workdps():
        P = hp.probs(W, X)
        nll = -mpmath.fsum(mpmath.log(P[n][c]) for n, c in enumerate(labels)) / len(labels)
        ce = hp.cross_entropy(W, X, Y)
        diff = abs(nll - ce)
    margin = tol.folklore_high_precision_margin(float(ce))
    return {"confirmed": bool(diff > margin), "method": HP_METHOD, "|NLL - CE|": float(diff), "margin": margin}


def soft_minimizer(impl):
    """F14: existence of the minimizer against 'every y_k > 0', and softmax(z*) - y beyond Newton's tolerance."""
    def confirm(ex) -> dict:
        y = ex["y"]
        res = newton_on_complement(impl, X1, y[None, :], tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        with hp.workdps():
            p = hp.softmax(mp_vec(res.W[0]))
            excess = max(abs(a - b) - tol.FOLKLORE_NEWTON_GRAD_TOL for a, b in zip(p, mp_vec(y)))
            diff = excess + tol.FOLKLORE_NEWTON_GRAD_TOL
        positive = bool(np.all(y > 0))
        return {"confirmed": bool(res.exists != positive or excess > 0), "method": HP_METHOD,
                "all y_k > 0": positive, "exists": res.exists, "max |softmax(z*) - y|": float(diff)}
    return confirm


def gibbs_inequality(ex) -> dict:
    """F14: H(y) - CE(y, z) from the definitions."""
    y, z = ex["y"], ex["z"]
    with hp.workdps():
        gap = mp_cross_entropy_pq(y, y) - mp_ce(y, z)
    return {"confirmed": bool(gap > tol.folklore_high_precision_margin()), "method": HP_METHOD, "H(y) - CE": float(gap)}


def negative_class_loss(ex) -> dict:
    """F15, loss part: CE + log p_c."""
    y, z, c = ex["y"], ex["z"], ex["label"]
    with hp.workdps():
        diff = abs(mp_ce(y, z) + mpmath.log(hp.softmax(mp_vec(z))[c]))
    return {"confirmed": bool(diff > tol.folklore_high_precision_margin()), "method": HP_METHOD, "|CE + log p_c|": float(diff)}


def negative_class_gradient(ex) -> dict:
    """F15, gradient part: mpmath's derivative of CE on the negative class where it is largest."""
    y, z, c = ex["y"], ex["z"], ex["label"]
    with hp.workdps():
        g = mp_gradient(lambda *zz: mp_ce(y, zz), z)
        p = hp.softmax(mp_vec(z))
    neg = [k for k in range(len(y)) if k != c]
    worst = max(neg, key=lambda k: abs(g[k]))
    return {"confirmed": bool(abs(g[worst]) > tol.folklore_high_precision_margin()),
            "method": HP_METHOD + " (mpmath.diff of the definition)", "negative class": worst,
            "dCE/dz_k": float(g[worst]), "p_k": float(p[worst]), "dCE/dz": [float(v) for v in g]}


def softmax_shift(ex) -> dict:
    """F16: softmax(z + c) - softmax(z), the shift exact."""
    z, c = ex["z"], ex["c"]
    with hp.workdps():
        zm = mp_vec(z)
        p = hp.softmax(zm)
        pc = hp.softmax([v + mpf(c) for v in zm])
        diff = max(abs(a - b) for a, b in zip(p, pc))
    return {"confirmed": bool(diff > tol.folklore_high_precision_margin()), "method": HP_METHOD, "max |difference|": float(diff)}


def linear_shift(ex) -> dict:
    """F16: L(W + c 1^T) - L(W), the shift exact."""
    pb, c = ex["problem"], ex["c"]
    with hp.workdps():
        Wm = mp_matrix(pb.W)
        Wc = Wm + np.array([[mpf(ci)] * Wm.shape[1] for ci in c], dtype=object)
        diff = abs(hp.cross_entropy(Wc, pb.X, pb.Y) - hp.cross_entropy(Wm, pb.X, pb.Y))
    return {"confirmed": bool(diff > tol.folklore_high_precision_margin()), "method": HP_METHOD, "|difference|": float(diff)}


def descent_increase(impl, steps, stop_at_increase=False):
    """F17: the loss increase of the exact gradient step from the float iterate before the worst step."""
    def confirm(ex) -> dict:
        pb, m = ex["problem"], ex["multiplier"]
        res, worst = worst_descent_step(impl, pb.X, pb.Y, pb.W, m, steps, stop_at_increase)
        with hp.workdps():
            Wk = mp_matrix(worst["W_k"])
            G = hp.gradient(Wk, pb.X, pb.Y)
            W_next = Wk - mpf(res.step) * G  # the exact gradient step from the float iterate W_k
            l0, l1 = hp.cross_entropy(Wk, pb.X, pb.Y), hp.cross_entropy(W_next, pb.X, pb.Y)
        margin = tol.folklore_high_precision_margin(float(l0))
        return {"confirmed": bool(l1 - l0 > margin), "method": HP_METHOD + " (exact step from the float iterate W_k)",
                "k": worst["k"], "L(W_k)": float(l0), "L(W_k - step grad)": float(l1), "increase": float(l1 - l0),
                "step * L": res.step * res.L, "n_increases": res.n_increases, "margin": margin}
    return confirm


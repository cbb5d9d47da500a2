"""The folklore measurements: each claim's quantity in float64, against its derived tolerance.

Each function returns the ``measure`` a search calls on every drawn example
(``verify.harness.search``): a ``Measurement`` whose error exceeds its
tolerance is a violation, which the twin of the same name in
``certificates`` re-checks in high precision. The tolerances are derived in
``tolerances``; a measure that returns ``None`` skips an example the claim
says nothing about.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import entr, expit, log_softmax, rel_entr

from ...harness.search import Measurement
from ...numerics import rounding
from ...numerics.derivatives import check_gradient, check_hessian
from ...numerics.optimizers import lipschitz_bound, newton_on_complement
from . import tolerances as tol
from .formulas import (EPS, F64, SEGMENT_GRID, X1, chain, chord_gaps, cross_entropy, cross_entropy_pq, ce_unnormalised,
                       entrywise_ratio, logit_bound, logits_as_weights, network_loss, probs, softmax_jacobian,
                       worst_descent_step)

def ce_convexity(impl):
    """F1, F14: the convexity gap of CE(y, .) at a dyadic mixture of two logit vectors."""
    def measure(ex):
        y, z1, z2, lam = ex["y"], ex["z1"], ex["z2"], ex["lambda"]
        zm = lam * z1 + (1 - lam) * z2
        f1, f2, fm = cross_entropy(impl, y, z1), cross_entropy(impl, y, z2), cross_entropy(impl, y, zm)
        scale = max(np.max(np.abs(z1)), np.max(np.abs(z2)), abs(f1), abs(f2))
        gap = fm - (lam * f1 + (1 - lam) * f2)
        return Measurement(gap, tol.folklore_convexity_tolerance(len(y), scale), "convexity gap CE(mix) - mix of CE",
                           {"CE(z1)": f1, "CE(z2)": f2, "CE(mix)": fm})
    return measure


def hessian_psd(impl, hessian_of):
    """F1, F2, F11: lambda_min of the impl's Hessian at a point, against the PSD eigenvalue tolerance."""
    def measure(ex):
        W, X, Y = hessian_of(ex)
        H = np.asarray(impl.hessian(W, X, Y), dtype=F64)
        ev = np.linalg.eigvalsh((H + H.T) / 2)
        entry = rounding.agreement_tolerances(X, W, Y, F64)["hessian"]
        t = rounding.psd_eigenvalue_tolerance(entry, H.shape[0], max(abs(ev[0]), abs(ev[-1])))
        near_zero = int(np.sum(np.abs(ev) <= t))
        return Measurement(-float(ev[0]), t, "-lambda_min(Hessian)",
                           {"lambda_min": float(ev[0]), "lambda_max": float(ev[-1]), "near_zero_eigenvalues": near_zero,
                            "n": int(H.shape[0])})
    return measure


def line_convexity(impl):
    """F2, F11: midpoint convexity of t -> L(W + t V) at t = 0 from the points W - V, W + V."""
    def measure(pb):
        X, W, Y, V = pb.X, pb.W, pb.Y, pb.V
        N, D = X.shape
        K = W.shape[1]
        fm, fp, f0 = float(impl.loss(W - V, X, Y)), float(impl.loss(W + V, X, Y)), float(impl.loss(W, X, Y))
        scale = max(logit_bound(X, np.abs(W) + np.abs(V)), abs(fm), abs(fp))
        gap = f0 - (fm + fp) / 2
        return Measurement(gap, tol.folklore_convexity_tolerance(K, scale, N, D), "convexity gap L(W) - (L(W-V) + L(W+V))/2",
                           {"L(W-V)": fm, "L(W)": f0, "L(W+V)": fp})
    return measure


def gradient_p_minus_y(impl):
    """F3 under its hypothesis: finite differences of the implementation's own loss against its p - y (y in the simplex)."""
    def measure(ex):
        y, z = ex["y"], ex["z"]
        Y = y[None, :]
        chk = check_gradient(lambda W: impl.loss(W, X1, Y), lambda W: impl.probs(W, X1) - Y, logits_as_weights(z))
        return Measurement(chk.max_abs_error, chk.tolerance, "max |finite-difference dCE/dz - (p - y)|",
                           {"fd_error_estimate": chk.error_estimate})
    return measure


def gradient_formula(impl, formula):
    """F3: finite differences of CE(y, .), for any y >= 0, against a gradient formula(p, y)."""
    def measure(ex):
        y, z = ex["y"], ex["z"]
        chk = check_gradient(lambda W: ce_unnormalised(y, W[0]), lambda W: formula(probs(impl, W[0]), y)[None, :],
                             logits_as_weights(z))
        return Measurement(chk.max_abs_error, chk.tolerance, "max |finite-difference dCE/dz - formula|",
                           {"sum_y": float(np.sum(y)), "fd_error_estimate": chk.error_estimate, "step": chk.step})
    return measure


def softmax_jacobian_entries(impl):
    """F4: the finite-difference Jacobian of the implementation's softmax against diag(p) - p p^T."""
    def measure(ex):
        z = ex["z"]
        chk = check_hessian(lambda W: impl.probs(W, X1), lambda W: softmax_jacobian(impl.probs(W, X1)[0]),
                            logits_as_weights(z))
        return Measurement(chk.max_abs_error, chk.tolerance, "max |finite-difference Jacobian - (diag(p) - p p^T)|",
                           {"fd_error_estimate": chk.error_estimate})
    return measure


def softmax_jacobian_structure(impl):
    """F4: symmetric, PSD, J 1 = 0 (so rank <= K - 1), on the Jacobian built from the implementation's p."""
    def measure(ex):
        z = ex["z"]
        K = len(z)
        p = probs(impl, z)
        J = softmax_jacobian(p)
        ev = np.linalg.eigvalsh(J)
        scale = max(1.0, float(np.max(np.abs(z))))
        rel = tol.folklore_probability_rel_error(K, scale)
        # Entry (k, l) = p_k (delta_kl - p_l): relative error 2 rel + 2 u of p_k, and |J_kl| <= p_k (1 + p_l) <= 2 max p.
        entry = 2 * float(np.max(p)) * (2 * rel + EPS)
        psd_tol = rounding.psd_eigenvalue_tolerance(entry, K, max(abs(ev[0]), abs(ev[-1])))
        # (J 1)_k = p_k (1 - sum_l p_l): |1 - sum p| <= K rel, so |(J 1)_k| <= p_k K rel plus K roundings of the sum.
        kernel_tol = float(np.max(p)) * (K * rel + (K + 2) * EPS)
        ratios = {
            "-lambda_min": (-float(ev[0]), psd_tol),
            "|J 1|_inf": (float(np.max(np.abs(J @ np.ones(K)))), kernel_tol),
        }
        name, (err, t) = max(ratios.items(), key=lambda kv: kv[1][0] / kv[1][1])  # both tolerances are > 0
        details = {k: {"value": v, "tolerance": tt} for k, (v, tt) in ratios.items()}
        details.update({"lambda_min": float(ev[0]), "lambda_max": float(ev[-1]),
                        "rank (eigenvalues above the PSD tolerance)": int(np.sum(ev > psd_tol))})
        return Measurement(err, t, name, details)
    return measure


def h_convexity(ex):
    """F5: the convexity gap of H(p, .) at a dyadic mixture of two positive q."""
    p, q1, q2, lam = ex["p"], ex["q1"], ex["q2"], ex["lambda"]
    qm = lam * q1 + (1 - lam) * q2
    h1, h2, hm = cross_entropy_pq(p, q1), cross_entropy_pq(p, q2), cross_entropy_pq(p, qm)
    scale = max(h1, h2, float(np.max(-np.log(np.minimum(q1, q2)))))
    gap = hm - (lam * h1 + (1 - lam) * h2)
    return Measurement(gap, tol.folklore_convexity_tolerance(len(p), scale), "convexity gap H(p, mix q) - mix of H",
                       {"H(p,q1)": h1, "H(p,q2)": h2, "H(p,mix)": hm})


def kl_identity(ex):
    """F6: |KL(p||q) - (H(p, q) - H(p))| with scipy's rel_entr and entr."""
    p, q = ex["p"], ex["q"]
    kl = float(np.sum(rel_entr(p, q)))
    hpq = cross_entropy_pq(p, q)
    hpp = float(np.sum(entr(p)))
    scale = max(hpq, hpp, kl, float(np.max(-np.log(q))))
    return Measurement(abs(kl - (hpq - hpp)), tol.folklore_identity_tolerance(len(p), scale),
                       "|KL(p||q) - (H(p,q) - H(p))|", {"KL": kl, "H(p,q)": hpq, "H(p)": hpp})


def sigmoid_identity(impl):
    """F7: softmax([a, b]) against (sigmoid(a - b), sigmoid(b - a)), and CE against BCE, in units of their tolerances."""
    def measure(ex):
        a, b, t = ex["a"], ex["b"], ex["t"]
        z = np.array([a, b])
        scale = max(abs(a), abs(b), abs(a - b))
        # Both sides are computed: twice the probability error (the sigmoid of the rounded a - b included).
        rel = 2 * tol.folklore_probability_rel_error(2, scale)
        p = probs(impl, z)
        s = np.array([expit(a - b), expit(b - a)])
        prob_ratio = entrywise_ratio(p, s, rel)
        ce = cross_entropy(impl, [t, 1 - t], z)
        bce = float(t * np.logaddexp(0.0, -(a - b)) + (1 - t) * np.logaddexp(0.0, a - b))  # -t log s - (1-t) log(1-s)
        loss_tol = tol.folklore_identity_tolerance(2, max(scale, ce)) + tol.folklore_point_rounding_error(scale)
        loss_ratio = abs(ce - bce) / loss_tol
        return Measurement(max(prob_ratio, loss_ratio), 1.0, "max(|softmax_1 - sigmoid(a-b)|, |CE - BCE|) / tolerance",
                           {"softmax": p.tolist(), "sigmoid": s.tolist(), "CE": ce, "BCE": bce,
                            "probability ratio": prob_ratio, "loss ratio": loss_ratio})
    return measure


def chord_convexity(impl):
    """F8, F9: the worst chord gap of the network's loss on the grid SEGMENT_GRID of a segment [B, A]."""
    def measure(ex):
        X, Y, A, B = ex["X"], ex["Y"], ex["A"], ex["B"]
        g = [network_loss(impl, X, Y, A, B, lam) for lam in SEGMENT_GRID]
        N = X.shape[0]
        K = Y.shape[1]
        # Logit scale: sum over paths of |x| |w_1| ... |w_L|, for the largest of the settings on the segment.
        scale = max(logit_bound(X, chain([np.maximum(np.abs(a), np.abs(b)) for a, b in zip(A, B)])), max(g))
        widths = sum(a.shape[0] for a in A)  # every matrix product adds its inner dimension's roundings
        factors = len(ex["trainable layers"])
        gap, i, j, k = max(chord_gaps(g, SEGMENT_GRID))
        lam = SEGMENT_GRID
        return Measurement(gap, tol.folklore_convexity_tolerance(K, scale, N, widths, factors=factors),
                           "convexity gap on the worst chord of the segment, L(mix) - chord",
                           {"L(B)": g[0], "L(A)": g[-1], "chord lambdas (lam_i, lam_j, lam_k)": [lam[i], lam[j], lam[k]],
                            "L at (lam_i, lam_j, lam_k)": [g[i], g[j], g[k]]})
    return measure


def ce_in_unit_interval(impl):
    """F10: how far CE(y, z) lies outside [0, 1]."""
    def measure(ex):
        y, z = ex["y"], ex["z"]
        ce = cross_entropy(impl, y, z)
        t = tol.folklore_value_error(len(y), max(float(np.max(np.abs(z))), ce))
        return Measurement(max(ce - 1.0, -ce), t, "distance of CE outside [0, 1]",
                           {"CE": ce, "exp(-CE) = prod_k p_k^y_k": math.exp(-ce)})
    return measure


def shifted_minimizer(impl):
    """F12 (a): a minimizer certified by Newton, and the same point shifted by c 1^T: two minimizers when c != 0."""
    def measure(ex):
        pb, c = ex["problem"], ex["c"]
        X, Y = pb.X, pb.Y
        if not np.any(X):
            return None  # X = 0: the loss is constant; exclude the trivial data set
        res = newton_on_complement(impl, X, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        if res.exists is not True:
            return None  # no (certified) minimizer: part (b)'s business
        W1 = res.W
        W2 = W1 + c[:, None] * np.ones((1, Y.shape[1]))
        (l1, g1), (l2, g2) = impl.loss_grad(W1, X, Y), impl.loss_grad(W2, X, Y)
        N, D = X.shape
        scale = max(logit_bound(X, np.abs(W1) + np.abs(W2)), float(l1))
        loss_tol = tol.folklore_shift_tolerance(Y.shape[1], scale, N, D)
        same_loss = abs(float(l2) - float(l1)) <= loss_tol
        distance = float(np.linalg.norm(W2 - W1)) if same_loss else 0.0
        ex["newton"] = {"W*": W1, "certificate": res.certificate, "grad_norm": res.grad_norm, "reason": res.reason}
        return Measurement(distance, 0.0, "||W2 - W1||_F between two minimizers",
                           {"L(W1)": float(l1), "L(W2)": float(l2), "||grad L(W1)||": float(np.linalg.norm(g1)),
                            "||grad L(W2)||": float(np.linalg.norm(g2)), "newton certificate": res.certificate})
    return measure


def no_minimizer(impl):
    """F12 (b): Newton on W0 + K-perp decides from the run that no minimizer exists."""
    def measure(pb):
        X, Y = pb.X, pb.Y
        if not np.any(X):
            return None  # constant loss: every W is a minimizer
        res = newton_on_complement(impl, X, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        if res.exists is None:
            return None  # undecided: neither certified nor refuted
        return Measurement(float(res.exists is False), 0.0, "no minimizer (Newton)",
                           {"reason": res.reason, "final loss": res.loss, "final ||W||": float(np.linalg.norm(res.W))})
    return measure


def nll_identity(impl):
    """F13: the mean NLL of the labels (scipy's log_softmax) against the implementation's mean CE."""
    def measure(pb):
        X, W, Y = pb.X, pb.W, pb.Y
        labels = np.argmax(Y, axis=1)
        nll = float(-np.mean(log_softmax(X @ W, axis=1)[np.arange(len(labels)), labels]))
        ce = float(impl.loss(W, X, Y))
        N, D = X.shape
        scale = max(logit_bound(X, W), ce)
        return Measurement(abs(nll - ce), tol.folklore_identity_tolerance(Y.shape[1], scale, N, D),
                           "|mean NLL - mean CE|", {"NLL": nll, "CE": ce})
    return measure


def soft_minimizer(impl):
    """F14: a minimizer of z -> CE(y, z) exists (Newton certifies it) iff every y_k > 0; there softmax(z*) = y."""
    def measure(ex):
        y = ex["y"]
        K = len(y)
        Y = y[None, :]
        res = newton_on_complement(impl, X1, Y, tol=tol.FOLKLORE_NEWTON_GRAD_TOL)
        if res.exists is None:
            return None
        positive = bool(np.all(y > 0))
        H = float(np.sum(entr(y)))
        details = {"all y_k > 0": positive, "minimizer exists (Newton)": res.exists, "reason": res.reason,
                   "H(y)": H, "final CE": float(res.loss)}
        if res.exists != positive:
            return Measurement(1.0, 0.0, "existence of a minimizer disagrees with 'every y_k > 0'", details)
        if not positive:
            # inf CE = H(y) (approached, not attained: the run's loss is above H(y) by a vanishing amount).
            return Measurement(0.0, 0.0, "existence of a minimizer disagrees with 'every y_k > 0'", details)
        p = probs(impl, res.W[0])
        scale = max(float(np.max(np.abs(res.W))), -math.log(float(np.min(y))))
        # Newton stops at ||grad|| = ||p - y|| < FOLKLORE_NEWTON_GRAD_TOL; plus the probability rounding.
        rel = tol.folklore_probability_rel_error(K, scale)
        err = float(np.max(np.abs(p - y) / (y * rel + tol.FOLKLORE_NEWTON_GRAD_TOL)))
        details.update({"softmax(z*)": p.tolist(), "max |softmax(z*) - y|": float(np.max(np.abs(p - y)))})
        return Measurement(err, 1.0, "max |softmax(z*) - y| / (rounding + Newton tolerance)", details)
    return measure


def gibbs_inequality(impl):
    """F14: H(y) - CE(y, z), which Gibbs' inequality makes <= 0."""
    def measure(ex):
        y, z = ex["y"], ex["z"]
        ce = cross_entropy(impl, y, z)
        H = float(np.sum(entr(y)))
        logs = -np.log(y[y > 0])  # the sizes of the terms of H(y)
        t = tol.folklore_identity_tolerance(len(y), max(float(np.max(np.abs(z))), ce, float(np.max(logs))))
        return Measurement(H - ce, t, "H(y) - CE(y, z) (Gibbs: <= 0)", {"CE": ce, "H(y)": H})
    return measure


def negative_class_loss(impl):
    """F15, loss part: CE(y, z) = -log p_c, the negative classes' terms y_k log p_k being 0."""
    def measure(ex):
        y, z, c = ex["y"], ex["z"], ex["label"]
        ce = cross_entropy(impl, y, z)
        only_true = float(-log_softmax(z)[c])
        t = tol.folklore_identity_tolerance(len(y), max(float(np.max(np.abs(z))), ce))
        return Measurement(abs(ce - only_true), t, "|CE - (-log p_c)|", {"CE": ce, "-log p_c": only_true})
    return measure


def negative_class_gradient(impl):
    """F15, gradient part: finite differences against the claimed gradient (p_c - 1) e_c (zero on every negative class)."""
    def measure(ex):
        y, z, c = ex["y"], ex["z"], ex["label"]
        Y = y[None, :]

        def claimed(W):
            g = np.zeros_like(W)
            g[0, c] = impl.probs(W, X1)[0, c] - 1.0
            return g

        chk = check_gradient(lambda W: impl.loss(W, X1, Y), claimed, logits_as_weights(z))
        return Measurement(chk.max_abs_error, chk.tolerance, "max |finite-difference dCE/dz - (p_c - 1) e_c|",
                           {"worst class": chk.worst_index[1], "p": probs(impl, z).tolist()})
    return measure


def softmax_shift(impl):
    """F16: softmax(z + c) against softmax(z), entrywise, in units of their tolerance."""
    def measure(ex):
        z, c = ex["z"], ex["c"]
        zc = z + c
        scale = max(float(np.max(np.abs(z))), float(np.max(np.abs(zc))))
        rel = 2 * tol.folklore_probability_rel_error(len(z), scale)  # two computed probability vectors
        p, pc = probs(impl, z), probs(impl, zc)
        return Measurement(entrywise_ratio(p, pc, rel), 1.0, "max_k |p_k(z + c) - p_k(z)| / tolerance",
                           {"max |difference|": float(np.max(np.abs(p - pc)))})
    return measure


def linear_shift(impl):
    """F16: |L(W + c 1^T) - L(W)| for the linear model."""
    def measure(ex):
        pb, c = ex["problem"], ex["c"]
        X, W, Y = pb.X, pb.W, pb.Y
        Wc = W + c[:, None]
        l0, l1 = float(impl.loss(W, X, Y)), float(impl.loss(Wc, X, Y))
        N, D = X.shape
        scale = max(logit_bound(X, np.abs(W) + np.abs(Wc)), l0)
        t = tol.folklore_shift_tolerance(Y.shape[1], scale, N, D)
        return Measurement(abs(l1 - l0), t, "|L(W + c 1^T) - L(W)|", {"L(W)": l0, "L(W + c 1^T)": l1})
    return measure


def descent_increase(impl, steps, stop_at_increase=False):
    """F17: the largest one-step loss increase of gradient descent at the drawn step, against rounding."""
    def measure(ex):
        pb, m = ex["problem"], ex["multiplier"]
        L = lipschitz_bound(pb.X)
        if not (L > 0 and math.isfinite(m / L)):
            return None  # X = 0 (or so tiny that 1/L overflows): any step leaves L unchanged; the claim is vacuous
        res, worst = worst_descent_step(impl, pb.X, pb.Y, pb.W, m, steps, stop_at_increase)
        if worst is None:
            return None
        ex["worst step"] = worst
        ex["step"] = res.step
        return Measurement(worst["increase"], worst["tolerance"], "largest one-step loss increase",
                           {"n_increases": res.n_increases, "steps": res.n_iter, "step * L": res.step * res.L,
                            "at step": worst["k"]})
    return measure


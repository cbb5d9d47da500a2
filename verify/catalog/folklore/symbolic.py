"""The folklore identities proved with SymPy at small K: each function maps an identity's name to True when it holds.

The claims turn these into ``exact_evidence`` parts (``verify.harness.evidence``).
Exponentials are replaced by positive symbols e_k = exp(z_k) where that
makes every quantity a rational function, so that ``cancel`` decides the
identity exactly; the logarithmic identities are expanded with
``expand_log(force=True)``, valid because every symbol is positive. The
results are cached: an identity is a fact about K, not about the run.
"""

from __future__ import annotations

from functools import lru_cache

import sympy


@lru_cache(maxsize=None)
def softmax_jacobian_identities(Ks=(2, 3, 4)) -> dict:
    """F4, exact: d p_k / d z_l = p_k (delta_kl - p_l), J = J^T, J 1 = 0 (so rank J <= K - 1: 1 != 0 is in
    its kernel), and v^T J v = sum_k p_k (v_k - p.v)^2 >= 0 (PSD).

    With e_k = exp(z_k) > 0, p_k = e_k / sum e and d/dz_l = e_l d/de_l (chain rule), everything is a
    rational function of the e_k and ``cancel`` decides it exactly.
    """
    out = {}
    for K in Ks:
        e = sympy.symbols(f"e0:{K}", positive=True)
        v = sympy.symbols(f"v0:{K}", real=True)
        S = sum(e)
        p = [ek / S for ek in e]
        J = sympy.Matrix(K, K, lambda k, l: e[l] * sympy.diff(p[k], e[l]))
        F = sympy.Matrix(K, K, lambda k, l: p[k] * (int(k == l) - p[l]))
        jac = all(sympy.cancel(x) == 0 for x in (J - F))
        kernel = all(sympy.cancel(x) == 0 for x in (F * sympy.ones(K, 1)))
        sym = all(sympy.cancel(x) == 0 for x in (F - F.T))
        vv = sympy.Matrix(v)
        pv = sum(pk * vk for pk, vk in zip(p, v))
        quad = sympy.cancel((vv.T * F * vv)[0] - sum(pk * (vk - pv) ** 2 for pk, vk in zip(p, v))) == 0
        out.update({f"K={K}: jacobian = diag(p) - p p^T": bool(jac), f"K={K}: J 1 = 0": bool(kernel),
                    f"K={K}: symmetric": bool(sym), f"K={K}: v^T J v = Var_p(v) >= 0": bool(quad)})
    return out


@lru_cache(maxsize=None)
def kl_identities(Ks=(2, 3, 4)) -> dict:
    """F6: sum_k p_k log(p_k / q_k) - (H(p, q) - H(p)) expands to 0 for positive p, q."""
    out = {}
    for K in Ks:
        p = sympy.symbols(f"p0:{K}", positive=True)
        q = sympy.symbols(f"q0:{K}", positive=True)
        kl = sum(pk * sympy.log(pk / qk) for pk, qk in zip(p, q))
        rhs = -sum(pk * sympy.log(qk) for pk, qk in zip(p, q)) + sum(pk * sympy.log(pk) for pk in p)
        ok = sympy.simplify(sympy.expand_log(kl - rhs, force=True)) == 0
        out[f"K={K}: KL(p||q) - (H(p,q) - H(p)) == 0"] = bool(ok)
    return out


@lru_cache(maxsize=None)
def sigmoid_identities() -> dict:
    """F7, exact, with e_a = exp(a), e_b = exp(b) > 0: softmax([a, b]) = (sigmoid(a - b), 1 - sigmoid(a - b)).

    Then CE((t, 1-t), (a, b)) - BCE(t, sigmoid(a - b)) = -t log(p_1 / s) - (1 - t) log(p_2 / (1 - s)),
    and both ratios are identically 1, so the losses are the same function of (a, b, t).
    """
    ea, eb = sympy.symbols("e_a e_b", positive=True)
    p1, p2 = ea / (ea + eb), eb / (ea + eb)
    s = 1 / (1 + eb / ea)  # sigmoid(a - b) = 1 / (1 + exp(-(a - b)))
    prob = sympy.cancel(p1 - s) == 0 and sympy.cancel(p2 - (1 - s)) == 0
    ratios = sympy.cancel(p1 / s) == 1 and sympy.cancel(p2 / (1 - s)) == 1
    return {"softmax([a,b])_1 = sigmoid(a-b), softmax([a,b])_2 = 1 - sigmoid(a-b)": bool(prob),
            "p_1 / sigmoid(a-b) = p_2 / (1 - sigmoid(a-b)) = 1, so CE((t,1-t),(a,b)) = BCE(t, sigmoid(a-b))": bool(ratios)}


@lru_cache(maxsize=None)
def nll_identities(K=3) -> dict:
    """F13: -log softmax(z)_c equals the one-hot cross-entropy sum_k [k = c] (lse(z) - z_k), for every label c."""
    z = sympy.symbols(f"z0:{K}", real=True)
    lse = sympy.log(sum(sympy.exp(zk) for zk in z))
    ok = True
    for c in range(K):
        nll = -sympy.log(sympy.exp(z[c]) / sum(sympy.exp(zk) for zk in z))
        ce = sum(int(k == c) * (lse - z[k]) for k in range(K))
        ok &= sympy.simplify(sympy.expand_log(nll - ce, force=True)) == 0
    return {f"K={K}: -log softmax(z)_c == sum_k [k=c] (lse(z) - z_k) for every c": bool(ok)}


@lru_cache(maxsize=None)
def shift_identities(K=3) -> dict:
    """F16: softmax(z + c 1) = softmax(z), with e_c = exp(c) a positive symbol."""
    e = sympy.symbols(f"e0:{K}", positive=True)
    ec = sympy.symbols("e_c", positive=True)  # exp(c): softmax(z + c)_k = e_k e_c / sum_l e_l e_c
    ok = all(sympy.cancel(e[k] * ec / sum(el * ec for el in e) - e[k] / sum(e)) == 0 for k in range(K))
    return {f"K={K}: softmax(z + c 1) == softmax(z)": bool(ok)}

"""The folklore examples: Hypothesis strategies for the searches, and how a drawn example is shown.

Every example is exact in float64 where the claim allows it (dyadic
targets and mixture weights, small integer network weights), so that a
violation the search finds is the claim's and not the rounding of its input.
Examples are dicts of arrays (or ``SoftmaxProblem``); ``example_to_dict``
writes one as plain JSON data for the evidence.
"""

from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ...harness.evidence import problem_to_dict
from ...harness.strategies import LOGIT_SCALES, TARGET_KINDS, SoftmaxProblem, problems, targets
from .formulas import F64

# The target kinds ``verify.harness.strategies.targets`` draws without looking at X (separable targets depend on X).
VECTOR_KINDS = tuple(k for k in TARGET_KINDS if k in ("one-hot", "soft", "soft-with-zeros"))


def example_to_dict(obj):
    """An example (dicts of arrays, problems) as plain JSON data."""
    if isinstance(obj, SoftmaxProblem):
        return problem_to_dict(obj)
    if isinstance(obj, dict):
        return {str(k): example_to_dict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [example_to_dict(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, mpmath.mpf):
        return float(obj)
    return obj


def unit_floats():
    """Floats in [-1, 1], no subnormals: the unit part of a drawn logit or shift, scaled separately."""
    return st.floats(-1.0, 1.0, allow_subnormal=False)


@st.composite
def logit_vectors(draw, K: int, scales=LOGIT_SCALES):
    """z = u * s with u in [-1, 1]^K and s one of ``scales`` (0 to 1e3: uniform to fully saturated)."""
    u = draw(hnp.arrays(F64, (K,), elements=unit_floats()), label="z (unit)")
    s = draw(st.sampled_from(list(scales)), label="logit scale")
    return u * F64(s)


@st.composite
def simplex_vectors(draw, K: int, kinds=VECTOR_KINDS):
    """A dyadic probability vector (``verify.harness.strategies.targets``: exact in float64, sums to exactly 1)."""
    kind = draw(st.sampled_from(list(kinds)), label="kind")
    return targets(draw, 1, K, kind, F64)[0]


def dyadic_weights():
    """lambda = j/16, 0 < lambda < 1: exact, and the mixture's only rounding is that of its sum."""
    return st.integers(1, 15).map(lambda j: j / 16)


@st.composite
def ce_segments(draw, max_K=5, kinds=VECTOR_KINDS):
    """A target y, two logit vectors z1, z2 and a dyadic weight: one segment of CE(y, .) (F1, F14)."""
    K = draw(st.integers(2, max_K), label="K")
    return {
        "y": draw(simplex_vectors(K, kinds)),
        "z1": draw(logit_vectors(K)),
        "z2": draw(logit_vectors(K)),
        "lambda": draw(dyadic_weights(), label="lambda"),
    }


@st.composite
def ce_points(draw, max_K=5, kinds=VECTOR_KINDS):
    """A target y and a logit vector z (F1, F3, F4, F10, F14)."""
    K = draw(st.integers(2, max_K), label="K")
    return {"y": draw(simplex_vectors(K, kinds)), "z": draw(logit_vectors(K))}


@st.composite
def linear_lines(draw, x_scales=(1.0,), max_N=6, max_D=4, max_K=5):
    """A problem, a direction V scaled by t, and (F11) the data scaled by s with W / s (same logits)."""
    pb = draw(problems(max_N=max_N, max_D=max_D, max_K=max_K))
    s = draw(st.sampled_from(list(x_scales)), label="x scale")
    t = draw(st.sampled_from([1.0, 1e-3, 30.0]), label="line step")
    pb = SoftmaxProblem(X=pb.X * s, W=pb.W / s, Y=pb.Y, V=pb.V * (t / s), sample_weight=pb.sample_weight,
                        tags={**pb.tags, "x_scale": s, "line_step": t})
    return pb


@st.composite
def nonnegative_targets(draw, max_K=5):
    """y_k = c_k / 2**16 with integers 0 <= c_k <= 2**17, not all 0: any sum in (0, 2K]."""
    K = draw(st.integers(2, max_K), label="K")
    counts = draw(hnp.arrays(np.int64, (K,), elements=st.integers(0, 2 * 2**16)).filter(lambda c: c.any()), label="counts")
    return {"y": counts / F64(2**16), "z": draw(logit_vectors(K))}


@st.composite
def h_segments(draw, max_K=5):
    """p anywhere in the simplex; q1, q2 with every entry positive (H finite)."""
    K = draw(st.integers(2, max_K), label="K")
    return {"p": draw(simplex_vectors(K)), "q1": draw(simplex_vectors(K, kinds=("soft",))),
            "q2": draw(simplex_vectors(K, kinds=("soft",))), "lambda": draw(dyadic_weights(), label="lambda")}


@st.composite
def pq_pairs(draw, max_K=5):
    """p anywhere in the simplex, q with every entry positive (F6: KL finite)."""
    K = draw(st.integers(2, max_K), label="K")
    return {"p": draw(simplex_vectors(K)), "q": draw(simplex_vectors(K, kinds=("soft",)))}


@st.composite
def binary_cases(draw):
    """Two logits a, b and a target probability t (F7)."""
    ab = draw(logit_vectors(2))
    return {"a": float(ab[0]), "b": float(ab[1]), "t": draw(simplex_vectors(2))[0]}


def small_integer_weights(shape):
    """Nonzero small integer weights, +-1 or +-2: exact, cheap to shrink, readable when shrunk.

    Zero is left out because a zero entry is what the generator's bias
    toward simple values reaches for first, and networks (or inputs) whose
    products vanish have a constant loss, so a short search would spend most
    of its examples on them. Leaving values out can only make a violation
    harder to find, never create one.
    """
    return hnp.arrays(F64, shape, elements=st.sampled_from([1.0, -1.0, 2.0, -2.0]))


@st.composite
def deep_segments(draw, hidden_layers=1, trainable=None, max_N=3, max_D=2, max_H=2, max_K=3):
    """A linear network Z = X W_1 ... W_L (L = hidden_layers + 1) and two weight settings A, B.

    ``trainable`` (default: all layers) are the layers whose weights differ
    between A and B; the others are shared (fixed) weights.
    """
    K = draw(st.integers(2, max_K), label="K")
    D = draw(st.integers(1, max_D), label="D")
    N = draw(st.integers(1, max_N), label="N")
    widths = [D] + [draw(st.integers(1, max_H), label=f"H{i}") for i in range(hidden_layers)] + [K]
    shapes = list(zip(widths[:-1], widths[1:]))
    layers = range(len(shapes)) if trainable is None else trainable
    X = draw(small_integer_weights((N, D)), label="X")  # nonzero inputs too: X = 0 makes the loss constant
    kind = draw(st.sampled_from(list(VECTOR_KINDS)), label="targets")
    Y = targets(draw, N, K, kind, F64)
    A, B = [], []
    for i, shape in enumerate(shapes):
        a = draw(small_integer_weights(shape), label=f"A{i}")
        A.append(a)
        B.append(draw(small_integer_weights(shape), label=f"B{i}") if i in layers else a)
    return {"X": X, "Y": Y, "A": A, "B": B, "trainable layers": list(layers)}


@st.composite
def minimizer_shifts(draw):
    """A small problem and a shift c in [-1, 1]^D of its minimizer, W* + c 1^T (F12 (a))."""
    pb = draw(problems(max_N=4, max_D=3, max_K=3, logit_scales=(0.0, 1.0)))
    c = draw(hnp.arrays(F64, (pb.X.shape[1],), elements=unit_floats()), label="c")
    return {"problem": pb, "c": c}


def small_problems():
    """Linear-model problems of at most 4 samples, 3 features, 3 classes (F12 (b): Newton runs on each)."""
    return problems(max_N=4, max_D=3, max_K=3)


def one_hot_problems():
    """Linear-model problems with one-hot targets (F13: the negative log-likelihood needs labels)."""
    return problems(target_kinds=("one-hot",))


@st.composite
def one_hot_points(draw, max_K=5):
    """A one-hot target with its label c, and a logit vector z (F15)."""
    K = draw(st.integers(2, max_K), label="K")
    c = draw(st.integers(0, K - 1), label="label")
    y = np.zeros(K)
    y[c] = 1.0
    return {"y": y, "z": draw(logit_vectors(K)), "label": c}


@st.composite
def logit_shifts(draw, max_K=5):
    """A logit vector z and a constant c from 1e-8 to 1e3 in size (F16)."""
    K = draw(st.integers(2, max_K), label="K")
    c = draw(st.floats(-1.0, 1.0, allow_subnormal=False), label="c (unit)")
    c *= draw(st.sampled_from([1.0, 1e-8, 30.0, 1e3]), label="c scale")
    return {"z": draw(logit_vectors(K)), "c": float(c)}


@st.composite
def linear_shifts(draw):
    """A problem and a shift c in R^D of its weights, W + c 1^T (F16)."""
    pb = draw(problems())
    scale = draw(st.sampled_from([1.0, 30.0]), label="c scale")
    c = draw(hnp.arrays(F64, (pb.X.shape[1],), elements=unit_floats()), label="c") * scale
    return {"problem": pb, "c": c}


@st.composite
def descent_cases(draw, multipliers, logit_scales=LOGIT_SCALES):
    """The step multiplier is drawn first, so that shrinking minimizes it before the data."""
    m = draw(multipliers, label="step * L")
    pb = draw(problems(max_N=6, max_D=3, max_K=3, logit_scales=logit_scales))
    return {"problem": pb, "multiplier": m}


def descent_to_dict(ex) -> dict:
    """A gradient-descent example (F17) as plain JSON data, with the worst step the measurement found."""
    out = example_to_dict({"problem": ex["problem"], "step multiplier (step * L)": ex["multiplier"]})
    if "worst step" in ex:
        w = ex["worst step"]
        out["first worst step"] = {"k": w["k"], "loss_k": w["loss_k"], "loss_k+1": w["loss_k+1"]}
    return out


"""The li2020 experiments: a setting (identity x dataset x model x weighting x training), its fit and its balance.

A ``Setting`` names one instance of an identity; ``build_problem`` turns it
into data, targets and a loss of ``impls.reweighted``; ``train`` fits the
head of ``verify.catalog.li2020.heads`` the setting asks for; ``evaluate``
(cached) returns the ``Outcome``: the fit, its probabilities and the
identity's ``Balance`` (``verify.catalog.li2020.balance``). Below them, the
quantities the claims read off a fit (class-averaged probabilities, the
pooled ratio, the confusion matrix M[k, j] = pbar_{k|j}), the reweight /
refit runs of the stop-gradient candidate, and the held-out comparison.

The settings are the catalog's (B.5): standardised scikit-learn datasets
(``verify.catalog.li2020.datasets``), L2 penalty ``lambda = 1e-3`` on the
weights only, a free last-layer bias unless a setting removes or penalises it.
The budgets a claim spends (iterations, epochs, refit rounds, splits) are
chosen next to that claim in ``verify.catalog.li2020.claims`` and travel in
the setting.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from impls import reweighted as rw

from . import datasets as data
from . import heads
from . import tolerances as tol
from .balance import Balance, balance
from .resampling import corrected_se

L2 = 1e-3  # weight penalty lambda; reproduces the catalog's breast_cancer table to 7 digits
HIDDEN = 8  # MLP-8 of the catalog
WINE_IMBALANCED = (59, 71, 8)  # catalog B.5: wine with class 2 subsampled to 8
BINARY_POSITIVE = {"breast_cancer": data.BREAST_CANCER_POSITIVE, "iris": 1, "wine": 2, "digits": 8}
DATASETS = data.NAMES  # cheapest first: iris, wine, breast_cancer, digits
WEIGHTINGS = ("unit", "inverse", "random")
RANDOM_WEIGHT_RANGE = 5.0  # random class weights are log-uniform in [1/5, 5]


# --------------------------------------------------------------------------
# Instances: an identity on a dataset, with a model, a weighting and a training regime
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlyStopped:
    """L-BFGS stopped after ``iterations`` iterations, without the Newton polish: training that ends early."""

    iterations: int
    label = "early-stop"

    @property
    def description(self) -> str:
        return f"early-stopped ({self.iterations} L-BFGS iterations)"


@dataclass(frozen=True)
class ConstantStepSGD:
    """Minibatch SGD at a constant learning rate, last iterate: the training regime of deep networks."""

    learning_rate: float
    epochs: int
    batch_size: int
    label = "sgd"

    @property
    def description(self) -> str:
        return f"constant-step SGD ({self.epochs} epochs)"


@dataclass(frozen=True)
class Setting:
    """One instance of an identity.

    ``identity`` is "I1" (also gives I1-w), "I2", "I3", "I4-detached" or
    "I4-full"; ``weighting`` a scheme of ``WEIGHTINGS`` or explicit class
    weights (``(alpha_0, alpha_1)`` for I1, ``(alpha_k)`` for I2);
    ``training`` None (L-BFGS then Newton, to stationarity), an
    ``EarlyStopped`` or a ``ConstantStepSGD``; ``rounds`` the reweight /
    refit budget of "I4-detached".
    """

    identity: str
    dataset: str
    model: str = "linear"
    weighting: object = "unit"
    bias: bool = True
    bias_decay: float = 0.0
    smoothing: float = 0.0
    gamma: float = 1.0
    training: EarlyStopped | ConstantStepSGD | None = None
    rounds: int | None = None

    def label(self) -> str:
        parts = [self.identity, self.dataset, self.model, weighting_label(self.weighting)]
        if not self.bias:
            parts.append("no bias")
        if self.bias_decay:
            parts.append(f"bias decay {self.bias_decay:g}")
        if self.smoothing:
            parts.append(f"label smoothing {self.smoothing:g}")
        if self.identity.startswith("I4"):
            parts.append(f"gamma {self.gamma:g}")
        if self.training is not None:
            parts.append(self.training.label)
        return " / ".join(parts)


def weighting_label(w) -> str:
    return w if isinstance(w, str) else "(" + ", ".join(f"{x:.4g}" for x in w) + ")"


def load_dataset(name: str) -> data.Dataset:
    if name == "wine-imbalanced":
        return data.subsample("wine", WINE_IMBALANCED, 0)
    return data.load(name)


def _random_weights(key: str, K: int) -> np.ndarray:
    rng = np.random.default_rng(zlib.crc32(key.encode()))
    return np.exp(rng.uniform(-math.log(RANDOM_WEIGHT_RANGE), math.log(RANDOM_WEIGHT_RANGE), size=K))


def class_weights(weighting, counts: np.ndarray, key: str) -> np.ndarray:
    """``alpha_k`` for a scheme: 1, ``1/N_k``, random log-uniform, or explicit."""
    if not isinstance(weighting, str):
        return np.asarray(weighting, dtype=np.float64)
    if weighting == "unit":
        return np.ones(counts.shape[0])
    if weighting == "inverse":
        return 1.0 / counts
    if weighting == "random":
        return _random_weights(key, counts.shape[0])
    raise ValueError(f"weighting: unknown scheme {weighting!r}")


@dataclass
class Problem:
    """The data, hard targets, training targets and loss of a setting."""

    X: np.ndarray
    labels: np.ndarray  # class of each sample (0/1 for I1)
    hard: np.ndarray  # one-hot (or the binary column) of the labels
    targets: np.ndarray  # what the loss is trained on (smoothed or hard)
    weights: dict
    loss: object


def build_problem(s: Setting) -> Problem:
    ds = load_dataset(s.dataset)
    key = f"{s.dataset}/{s.identity}"
    if s.identity == "I1":
        labels = (ds.y == BINARY_POSITIVE[s.dataset.split("-")[0]]).astype(np.int64)
        hard = labels.astype(np.float64)[:, None]
        counts = np.bincount(labels, minlength=2)
        a = class_weights(s.weighting, counts, key)  # (alpha_0, alpha_1)
        targets = (1 - s.smoothing) * hard + s.smoothing / 2
        return Problem(ds.X, labels, hard, targets, {"alpha": a}, rw.get("numpy", "binary_logistic", class_weight=a))
    labels = ds.y
    hard = ds.one_hot()
    K = hard.shape[1]
    counts = ds.counts
    targets = (1 - s.smoothing) * hard + s.smoothing / K
    if s.smoothing and s.weighting != "unit":
        raise ValueError("label smoothing is checked with unit weights (the predicted term assumes them)")
    if s.identity == "I2":
        a = class_weights(s.weighting, counts, key)
        return Problem(ds.X, labels, hard, targets, {"alpha": a}, rw.get("numpy", "softmax", class_weight=a))
    if s.identity == "I3":
        N = labels.shape[0]
        if s.weighting == "inverse":
            pos, neg = 1.0 / counts, 1.0 / (N - counts)
        elif s.weighting == "random":
            pos, neg = _random_weights(key + "/+", K), _random_weights(key + "/-", K)
        else:
            pos = neg = class_weights(s.weighting, counts, key)
        return Problem(ds.X, labels, hard, targets, {"positive": pos, "negative": neg},
                       rw.get("numpy", "one_vs_all", positive_weight=pos, negative_weight=neg))
    if s.identity == "I4-full":
        return Problem(ds.X, labels, hard, targets, {}, rw.get("numpy", "candidate_inr", gamma=s.gamma))
    if s.identity == "I4-detached":
        return Problem(ds.X, labels, hard, targets, {}, rw.get("numpy", "candidate_inr_detached", gamma=s.gamma))
    raise ValueError(f"identity: unknown {s.identity!r}")


def frozen_loss(omega):
    """The one-vs-all LGL with the non-target weights ``omega`` (N, K) held fixed: one refit of the candidate."""
    return rw.get("numpy", "non_target_weighted", omega=omega)


def train(s: Setting, pb: Problem):
    """The fitted head of a setting (cached in ``verify.catalog.li2020.heads``); for I4-detached also the refit history."""
    if s.identity == "I4-detached":
        if s.rounds is None:
            raise ValueError("rounds: an I4-detached setting needs its reweight / refit budget")
        run = heads.fit_reweight_refit(s.model, pb.X, pb.targets, pb.loss, frozen_loss, l2=L2, rounds=s.rounds,
                                       tolerance=tol.LI_FIXED_POINT_TOL, hidden=HIDDEN)
        return run.fit, run
    if isinstance(s.training, ConstantStepSGD):
        t = s.training
        return heads.fit_sgd(s.model, pb.X, pb.targets, pb.loss, l2=L2, bias=s.bias, hidden=HIDDEN,
                             learning_rate=t.learning_rate, epochs=t.epochs, batch_size=t.batch_size), None
    if isinstance(s.training, EarlyStopped):
        return heads.fit(s.model, pb.X, pb.targets, pb.loss, l2=L2, bias=s.bias, bias_decay=s.bias_decay,
                         hidden=HIDDEN, maxiter=s.training.iterations, polish=False), None
    return heads.fit(s.model, pb.X, pb.targets, pb.loss, l2=L2, bias=s.bias, bias_decay=s.bias_decay, hidden=HIDDEN), None


# --------------------------------------------------------------------------
# The outcome of a setting: its fit and its identity's balance
# --------------------------------------------------------------------------


@dataclass
class Outcome:
    """A setting, its fit, and its identity's balance."""

    setting: Setting
    balance: Balance
    fit: object
    P: np.ndarray
    extra: dict = field(default_factory=dict)

    @property
    def stationary(self) -> bool:
        return self.fit.gradient_max <= tol.LI_STATIONARITY_GTOL

    def row(self) -> dict:
        """The numbers of this instance for a results table."""
        out = {
            "instance": self.setting.label(),
            "relative residual": self.balance.residual,
            "with predicted term": self.balance.corrected,
            "max |grad|": self.fit.gradient_max,
            "max |grad_b|": self.fit.bias_gradient_max,
        }
        out.update({k: v for k, v in self.extra.items() if np.isscalar(v)})
        return out


@lru_cache(maxsize=None)
def evaluate(s: Setting) -> Outcome:
    """Fit the setting's head (cached) and compute its identity's balance."""
    pb = build_problem(s)
    fit, run = train(s, pb)
    Z = fit.logits(pb.X)
    P = pb.loss.logit_probs(Z)
    N = pb.X.shape[0]
    bias_term = N * s.bias_decay * fit.params["b"] if (fit.has_bias and s.bias_decay) else None
    omega = run.omega if run is not None else None
    bal = balance(s.identity, P, pb.labels, pb.hard, pb.targets, pb.weights, omega=omega, Z=Z, gamma=s.gamma,
                  bias_term=bias_term)
    extra = {}
    if run is not None:
        extra["fixed point converged"] = run.converged
        extra["last omega change"] = run.changes[-1] if run.changes else 0.0
        extra["refits"] = len(run.changes)
    if s.identity == "I1":
        extra.update(_binary_summary(pb, P))
        extra.update(_centroid_identity(pb, fit, P))
    return Outcome(s, bal, fit, P, extra)


def _binary_summary(pb: Problem, P) -> dict:
    a0, a1 = pb.weights["alpha"]
    p = P[:, 0]
    pos, neg = pb.labels == 1, pb.labels == 0
    N1, N0 = int(pos.sum()), int(neg.sum())
    pbar1, pbar0 = float(p[pos].mean()), float(p[neg].mean())
    return {
        "alpha_0": float(a0), "alpha_1": float(a1), "N_1": N1, "N_0": N0,
        "pbar_1": pbar1, "pbar_0": pbar0,
        "ratio (1-pbar_1)/pbar_0": (1 - pbar1) / pbar0,
        "predicted a0 N0 / (a1 N1)": float(a0 * N0 / (a1 * N1)),
        "recall at 0.5": float(np.mean(p[pos] > 0.5)),
        "precision at 0.5": float(np.sum(p[pos] > 0.5) / max(1, np.sum(p > 0.5))),
    }


def _centroid_identity(pb: Problem, fit, P) -> dict:
    """I1-w: ``alpha_1 sum_{C_1} (1 - p) h - alpha_0 sum_{C_0} p h = N lambda v``, and the centroid gap."""
    a0, a1 = pb.weights["alpha"]
    H = fit.features(pb.X)
    p = P[:, 0]
    pos, neg = pb.labels == 1, pb.labels == 0
    A = a1 * ((1 - p)[pos] @ H[pos])
    B = a0 * (p[neg] @ H[neg])
    rhs = pb.X.shape[0] * fit.l2 * fit.params["v"][:, 0]
    scale = max(float(np.max(np.abs(A))), float(np.max(np.abs(B))))
    c_pos = ((1 - p)[pos] @ H[pos]) / np.sum((1 - p)[pos])
    c_neg = (p[neg] @ H[neg]) / np.sum(p[neg])
    return {
        "I1-w residual": float(np.max(np.abs(A - B - rhs))) / scale,
        "I1-w scale": scale,
        "centroid gap |c_pos - c_neg|": float(np.linalg.norm(c_pos - c_neg)),
        "|N lambda v| / (a1 sum_pos (1-p))": float(np.linalg.norm(rhs) / (a1 * np.sum((1 - p)[pos]))),
    }


def setting_to_dict(s: Setting) -> dict:
    out = evaluate(s)
    return {"instance": s.label(), **{k: v for k, v in out.row().items() if k != "instance"},
            "lhs": out.balance.lhs.tolist(), "rhs": out.balance.rhs.tolist(), "predicted": out.balance.predicted.tolist()}


# --------------------------------------------------------------------------
# What the claims read off a fit: class-averaged probabilities
# --------------------------------------------------------------------------


def pooled(outcome: Outcome, k: int) -> dict:
    """``pbar_{k|k}``, ``pbar_{k|not k}``, the pooled ratio ``(1 - pbar_{k|k}) / pbar_{k|not k}`` and the row ``M[k, :]``."""
    pb = build_problem(outcome.setting)
    P, y = outcome.P, pb.labels
    K = P.shape[1]
    row = [float(P[y == j, k].mean()) for j in range(K)]
    pkk = row[k]
    pnot = float(P[y != k, k].mean())
    return {"pbar_kk": pkk, "pbar_k|not k": pnot, "pooled ratio": (1 - pkk) / pnot, "M row": row}


def binary_style_prediction(alpha, counts, k) -> float:
    """``sum_{j != k} alpha_j N_j / (alpha_k N_k)``: the pooled ratio if SML behaved like binary LGL."""
    others = sum(alpha[j] * counts[j] for j in range(len(counts)) if j != k)
    return float(others / (alpha[k] * counts[k]))


def lgl_ratio_row(o: Outcome) -> dict:
    """B2: an I1 fit's ratio (1 - pbar_1)/pbar_0 beside its prediction alpha_0 N_0/(alpha_1 N_1), and their deviation."""
    s, e = o.setting, o.extra
    deviation = abs(e["ratio (1-pbar_1)/pbar_0"] / e["predicted a0 N0 / (a1 N1)"] - 1)
    return {"instance": s.label(), "model": s.model, "dataset": s.dataset, "alpha_1/alpha_0": s.weighting[1],
            "ratio": e["ratio (1-pbar_1)/pbar_0"], "predicted": e["predicted a0 N0 / (a1 N1)"],
            "relative deviation": deviation, "pbar_1": e["pbar_1"], "pbar_0": e["pbar_0"]}


def sml_pooled_row(o: Outcome, k: int) -> dict:
    """B2: an I2 fit with weights (1, alpha_1, 1): pbar_{k|k} and the pooled ratio of class k beside the
    binary-style prediction, and the I2 residual."""
    s = o.setting
    q = pooled(o, k)
    counts = load_dataset(s.dataset).counts
    return {"alpha_1": s.weighting[1], "model": s.model, "pbar_kk": q["pbar_kk"], "pooled ratio": q["pooled ratio"],
            "binary-style prediction": binary_style_prediction(np.asarray(s.weighting), counts, k),
            "I2 residual": o.balance.residual}


def relative_gap(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b))


def confusion(outcome: Outcome) -> np.ndarray:
    """``M[k, j] = pbar_{k|j}``: the mean predicted probability of class k on the samples of class j."""
    P, y = outcome.P, build_problem(outcome.setting).labels
    K = P.shape[1]
    return np.array([[P[y == j, k].mean() for j in range(K)] for k in range(K)])


def averaging_table(outcome: Outcome) -> list[dict]:
    M = confusion(outcome)
    rows = []
    for k in range(M.shape[0]):
        q = pooled(outcome, k)
        others = [(M[k, j], j) for j in range(M.shape[0]) if j != k]
        top, j = max(others)
        rows.append({"k": k, "pbar_kk": M[k, k], "pooled pbar_k|not k": q["pbar_k|not k"], "max_j pbar_k|j": top,
                     "argmax j": j, "max / pooled": top / q["pbar_k|not k"]})
    return rows


def top_non_target(outcome: Outcome) -> dict:
    """Per-sample p_i^(2) = max_{k != y_i} p_ik: mean and 95th percentile; accuracy and per-class recall."""
    pb = build_problem(outcome.setting)
    P = outcome.P
    masked = np.where(pb.hard == 1, -np.inf, P)
    top = masked.max(axis=1)
    pred = P.argmax(axis=1)
    K = P.shape[1]
    return {"accuracy": float(np.mean(pred == pb.labels)),
            "recall by class": [float(np.mean(pred[pb.labels == k] == k)) for k in range(K)],
            "p2 mean": float(top.mean()), "p2 95th percentile": float(np.quantile(top, 0.95))}


# --------------------------------------------------------------------------
# The stop-gradient candidate's reweight / refit iteration (G5)
# --------------------------------------------------------------------------


def refit_run(name: str, gamma: float, rounds: int):
    """The reweight / refit iteration of the stop-gradient candidate on ``name`` (linear head), at most ``rounds`` refits."""
    ds = load_dataset(name)
    cand = rw.get("numpy", "candidate_inr_detached", gamma=gamma)
    return heads.fit_reweight_refit("linear", ds.X, ds.one_hot(), cand, frozen_loss, l2=L2, rounds=rounds,
                                    tolerance=tol.LI_FIXED_POINT_TOL, hidden=HIDDEN)


# --------------------------------------------------------------------------
# The held-out comparison (B5)
# --------------------------------------------------------------------------


HELDOUT_METHODS = {
    "LGL (one-vs-all)": ("one_vs_all", {}),
    "SML": ("softmax", {}),
    "candidate gamma 1": ("candidate_inr", {"gamma": 1.0}),
}
HELDOUT_METHODS_THOROUGH = {**HELDOUT_METHODS, "candidate gamma 2": ("candidate_inr", {"gamma": 2.0})}
HELDOUT_DATASETS = DATASETS


@lru_cache(maxsize=None)
def heldout_run(name: str, method: str, seed: int) -> dict:
    """One random stratified 50/50 split: the linear head fitted on the train half, its test accuracy and margins."""
    loss_name, params = HELDOUT_METHODS_THOROUGH[method]
    train_ds, test_ds = data.split(load_dataset(name), seed)
    loss = rw.get("numpy", loss_name, **params)
    # Accuracy needs the minimiser, not its last digits: L-BFGS (ftol = 0, gtol 1e-13) without the Newton polish.
    fit = heads.fit("linear", train_ds.X, train_ds.one_hot(), loss, l2=L2, polish=False)
    Z = fit.logits(test_ds.X)
    top2 = np.sort(Z, axis=1)[:, -2:]
    return {"accuracy": float(np.mean(Z.argmax(axis=1) == test_ds.y)), "fit": fit, "test": test_ds,
            "margin": top2[:, 1] - top2[:, 0], "max |grad|": fit.gradient_max}


def heldout_sizes(name: str) -> tuple[int, int]:
    """(training, test) examples of one held-out split of ``name`` (every split has the same sizes)."""
    n_test = int(heldout_run(name, "LGL (one-vs-all)", 0)["test"].y.size)
    return int(load_dataset(name).y.size) - n_test, n_test


def heldout_table(names, methods, seeds: int) -> dict:
    """Mean held-out accuracy per method and paired differences per pair over ``seeds`` splits, each with the
    corrected standard error of a mean over overlapping splits (``resampling.corrected_se``)."""
    table = {}
    for name in names:
        n_train, n_test = heldout_sizes(name)
        accs = {m: np.array([heldout_run(name, m, s)["accuracy"] for s in range(seeds)]) for m in methods}
        row = {m: {"mean": float(a.mean()), "se": corrected_se(a, n_train, n_test)} for m, a in accs.items()}
        diffs = {}
        for a in methods:
            for b in methods:
                if a < b:
                    d = accs[a] - accs[b]
                    mean, se = float(d.mean()), corrected_se(d, n_train, n_test)
                    diffs[f"{a} - {b}"] = {"mean": mean, "se": se,
                                           "meaningful": bool(abs(mean) > tol.LI_HELDOUT_SE_MULTIPLE * se)}
        table[name] = {"accuracy": row, "paired differences": diffs, "per split": {m: a.tolist() for m, a in accs.items()}}
    return table


def paired(name: str, a: str, b: str, seeds: int) -> tuple[float, float]:
    """Mean paired difference of held-out accuracy ``a - b`` over ``seeds`` splits, and its corrected SE."""
    d = np.array([heldout_run(name, a, s)["accuracy"] - heldout_run(name, b, s)["accuracy"] for s in range(seeds)])
    return float(d.mean()), corrected_se(d, *heldout_sizes(name))


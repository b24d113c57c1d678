"""Class-weighted L2 logistic regression in numpy, for the story pair model's fit.

Why not scikit-learn: the fit is one small convex problem (tens of thousands of pairs, a
few dozen columns), and Newton's method solves it exactly in a dozen steps; the tuning
tools then need nothing the bot does not install. The objective is scikit-learn's
``LogisticRegression(C, class_weight={0: 1, 1: positive})`` on standardised columns
(``StandardScaler``): 0.5·|w|² + C·Σ weight_i·logloss_i, intercept not penalised. Its
optimum is unique, so the weights match scikit-learn's to its solver's tolerance.
"""

from __future__ import annotations

import numpy as np

MAX_STEPS = 100
TOLERANCE = 1e-10


def fit_logistic(
    x: np.ndarray, y: np.ndarray, c: float, positive: float, weight: np.ndarray | None = None
) -> tuple[np.ndarray, float]:
    """Weights and bias in the units of ``x`` (the standardisation folded back in);
    ``weight`` multiplies each row's loss (scikit-learn's ``sample_weight``)."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0.0] = 1.0
    design = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    sample = np.where(y == 1, positive, 1.0) * c
    if weight is not None:
        sample = sample * weight
    penalty = np.ones(design.shape[1])
    penalty[-1] = 0.0  # the intercept
    w = np.zeros(design.shape[1])
    for _ in range(MAX_STEPS):
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        gradient = design.T @ (sample * (p - y)) + penalty * w
        hessian = (design * (sample * p * (1.0 - p))[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < TOLERANCE:
            break
    weights = w[:-1] / scale
    return weights, float(w[-1] - weights @ mean)

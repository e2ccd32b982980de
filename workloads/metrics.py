"""Test-set scores, each next to the naive baseline a model has to beat to be worth anything."""

from collections import Counter
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    mean_absolute_error,
    precision_recall_fscore_support,
    r2_score,
    root_mean_squared_error,
)

DIGITS = 4


def classification(y_train: np.ndarray, y_test: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    labels = sorted({*y_train.tolist(), *y_test.tolist()}, key=_natural)
    majority = Counter(y_train.tolist()).most_common(1)[0][0]
    precision, recall, f1, support = precision_recall_fscore_support(y_test, predicted, labels=labels, zero_division=0)
    return {
        "accuracy": _round(accuracy_score(y_test, predicted)),
        "balanced_accuracy": _round(balanced_accuracy_score(y_test, predicted)),
        "f1_macro": _round(f1_score(y_test, predicted, labels=labels, average="macro", zero_division=0)),
        "f1_weighted": _round(f1_score(y_test, predicted, labels=labels, average="weighted", zero_division=0)),
        "majority_class": majority,
        "majority_class_accuracy": _round(float(np.mean(y_test == majority))),
        "confusion_matrix": {
            "labels": labels,
            "rows": "actual",
            "columns": "predicted",
            "matrix": confusion_matrix(y_test, predicted, labels=labels).tolist(),
        },
        "per_class": {
            label: {"precision": _round(p), "recall": _round(r), "f1": _round(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
    }


def regression(y_train: np.ndarray, y_test: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    baseline = np.full(len(y_test), float(np.mean(y_train)))
    return {
        "mae": _round(mean_absolute_error(y_test, predicted)),
        "rmse": _round(root_mean_squared_error(y_test, predicted)),
        # R² needs spread in the test rows; with one row or all-equal values it is undefined.
        "r2": _round(r2_score(y_test, predicted)) if len(y_test) > 1 and np.ptp(y_test) > 0 else None,
        "mean_baseline_mae": _round(mean_absolute_error(y_test, baseline)),
        "mean_baseline_rmse": _round(root_mean_squared_error(y_test, baseline)),
    }


def _natural(label: str) -> tuple[int, float, str]:
    """Numeric labels in numeric order (2 before 10), then text labels alphabetically."""
    try:
        return (0, float(label), "")
    except ValueError:
        return (1, 0.0, label)


def _round(value: float) -> float:
    return round(float(value), DIGITS)

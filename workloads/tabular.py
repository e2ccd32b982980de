"""Train and evaluate a scikit-learn model on an uploaded CSV.

Candidate models are compared by cross-validation on the training rows (within half the time
budget), the best is refitted on all of them and scored once on the held-out test rows.
Outputs: metrics.json, model.joblib, feature_importance.csv, predictions.csv.
"""

import csv
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workloads import metrics
from workloads.csvdata import Table, is_missing, parse_number, read_table
from workloads.jobdir import Job, heartbeat, log
from workloads.problems import InputError, Problem
from workloads.registry import REGISTRY

SEED = 0
MAX_SELECTION_ROWS = 5_000  # cross-validation on a sample keeps model choice quick on big files
MAX_IMPORTANCE_ROWS = 2_000
MIN_TEST_ROWS_FOR_IMPORTANCE = 30  # fewer held-out rows make permutation importance mostly noise
PERMUTATION_REPEATS = 5
PARALLEL_ROWS = 2_000
MAX_CATEGORIES = 30  # rarer categories of a column share one "infrequent" indicator
MISSING_CATEGORY = "(missing)"
SCORING = {"classification": "f1_macro", "regression": "neg_root_mean_squared_error"}


@dataclass
class Parts:
    """The train/test split; `test_rows` index the Dataset's samples held out for testing."""

    x_train: np.ndarray
    x_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    test_rows: np.ndarray


@dataclass
class Dataset:
    """Model-ready features and target, with the CSV rows they come from."""

    features: list[str]
    numeric: list[bool]
    x: np.ndarray  # object array: floats (nan when missing) and category strings
    y: np.ndarray
    source_rows: list[int]  # index into table.rows for each sample
    dropped: dict[str, str] = field(default_factory=dict)


def run(job: Job) -> None:
    started = time.monotonic()
    target = job.params["target_column"]
    task = job.params.get("task", "classification")
    budget_seconds = 60 * float(job.params.get("time_budget_minutes", 30))

    job.progress(5, "Reading the CSV")
    table = read_table(job.file_param("dataset_csv"), "dataset_csv")  # already passed checks.check_inputs
    job.progress(10, "Preparing features")
    data = prepare(table, target, task)
    _log_dataset(data, task)
    job.progress(15, "Splitting training and test rows")
    parts = split(data, task, float(job.params.get("test_fraction", 0.2)))
    log(f"{len(parts.y_train)} training rows, {len(parts.y_test)} test rows")

    cv_scores = compare_candidates(job, data, task, parts, deadline=started + budget_seconds / 2)
    best = max(cv_scores, key=lambda name: -math.inf if math.isnan(cv_scores[name]) else cv_scores[name])
    job.progress(65, f"Training {best} on all {len(parts.y_train)} training rows")
    model = build_pipeline(data, candidates(task, len(parts.y_train))[best])
    with heartbeat(f"training {best}"):
        model.fit(parts.x_train, parts.y_train)

    job.progress(80, "Evaluating on the test rows")
    predicted = model.predict(parts.x_test)
    evaluate = metrics.classification if task == "classification" else metrics.regression
    scores = evaluate(parts.y_train, parts.y_test, predicted)
    job.progress(88, "Measuring feature importance")
    importance, importance_rows = feature_importance(model, data, task, parts)

    job.progress(95, "Writing results")
    report = {
        "task": task,
        "target": target,
        "model": best,
        "selection": {"metric": SCORING[task], "cross_validated_scores": _rounded(cv_scores)},
        "rows": {
            "in_file": len(table.rows),
            "with_target": len(data.y),
            "train": len(parts.y_train),
            "test": len(parts.y_test),
        },
        "features": {
            "numeric": [name for name, num in zip(data.features, data.numeric, strict=True) if num],
            "categorical": [name for name, num in zip(data.features, data.numeric, strict=True) if not num],
            "dropped": data.dropped,
        },
        "test": scores,
        "importance": {"method": "permutation", "rows": importance_rows},
        "seconds": round(time.monotonic() - started, 2),
        "sklearn_version": sklearn.__version__,
    }
    job.write_output("metrics.json", report)
    _save_model(job, data, model, report)
    _write_importance(job, importance)
    _write_predictions(job, table, data, parts, model, predicted)
    _write_result(job, report, importance)
    job.progress(100, "Done")


def prepare(table: Table, target: str, task: str) -> Dataset:
    """Drop rows without a target and columns that cannot help; type each remaining column."""
    target_index = table.columns.index(target)
    source_rows = [i for i, row in enumerate(table.rows) if not is_missing(row[target_index])]
    features, numeric, columns, dropped = [], [], [], {}
    for index, name in enumerate(table.columns):
        if index == target_index:
            continue
        values = [table.rows[i][index].strip() for i in source_rows]
        kind = _column_kind(values)
        if kind in ("empty", "constant", "identifier"):
            dropped[name] = kind
            continue
        features.append(name)
        numeric.append(kind == "numeric")
        columns.append(_column_values(values, kind == "numeric"))
    if not features:
        raise InputError(Problem("target_column", "no_features", {"column": target}))
    raw_target = [table.rows[i][target_index].strip() for i in source_rows]
    y = np.array([parse_number(v) for v in raw_target], dtype=float) if task == "regression" else np.array(raw_target)
    x = np.empty((len(source_rows), len(features)), dtype=object)
    for position, column in enumerate(columns):
        x[:, position] = column
    return Dataset(features, numeric, x, y, source_rows, dropped)


def _column_kind(values: list[str]) -> str:
    present = [value for value in values if not is_missing(value)]
    distinct = len(set(present))
    if not present:
        return "empty"
    if distinct == 1:
        return "constant"
    if all(parse_number(value) is not None for value in present):
        return "numeric"
    if distinct == len(values) and len(values) >= 20:
        return "identifier"  # a different text in every row (names, order numbers) cannot generalise
    return "categorical"


def _column_values(values: list[str], numeric: bool) -> list[Any]:
    if numeric:
        return [math.nan if is_missing(value) else parse_number(value) for value in values]
    return [MISSING_CATEGORY if is_missing(value) else value for value in values]


def split(data: Dataset, task: str, test_fraction: float) -> Parts:
    """Train/test split, stratified by class where possible.

    A class with a single row always goes to training: a model cannot learn a class it never saw,
    and a classifier cannot be fitted at all when only one class is left.
    """
    lonely = np.zeros(len(data.y), dtype=bool)
    if task == "classification":
        labels, counts = np.unique(data.y, return_counts=True)
        lonely = np.isin(data.y, labels[counts < 2])
    pool = np.flatnonzero(~lonely)
    test_size = min(max(1, round(len(data.y) * test_fraction)), len(pool) - 1)
    pool_classes = len(np.unique(data.y[pool]))
    stratify = None
    if task == "classification" and pool_classes > 1 and len(pool) - test_size >= pool_classes:
        stratify = data.y[pool]
        test_size = max(test_size, pool_classes)
    train_rows, test_rows = train_test_split(
        pool, test_size=test_size, random_state=SEED, shuffle=True, stratify=stratify
    )
    train_rows = np.concatenate([train_rows, np.flatnonzero(lonely)])
    return Parts(data.x[train_rows], data.x[test_rows], data.y[train_rows], data.y[test_rows], test_rows)


def candidates(task: str, rows: int) -> dict[str, Any]:
    """A forest, boosting and a linear baseline: each wins on some kinds of table."""
    # Threads pay off only on big tables; on small ones their start-up costs more than the trees.
    n_jobs = -1 if rows > PARALLEL_ROWS else None
    if task == "classification":
        return {
            "random_forest": RandomForestClassifier(n_estimators=100, n_jobs=n_jobs, random_state=SEED),
            "gradient_boosting": HistGradientBoostingClassifier(random_state=SEED),
            "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        }
    return {
        "random_forest": RandomForestRegressor(n_estimators=100, n_jobs=-1, random_state=SEED),
        "gradient_boosting": HistGradientBoostingRegressor(random_state=SEED),
        "ridge_regression": make_pipeline(StandardScaler(), Ridge()),
    }


def build_pipeline(data: Dataset, estimator: Any) -> Pipeline:
    """Impute numbers with the median and one-hot the categories, inside the saved model."""
    numeric = [i for i, num in enumerate(data.numeric) if num]
    categorical = [i for i, num in enumerate(data.numeric) if not num]
    encoder = OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES, sparse_output=False)
    preprocess = ColumnTransformer(
        [("numeric", SimpleImputer(strategy="median"), numeric), ("categorical", encoder, categorical)]
    )
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def compare_candidates(job: Job, data: Dataset, task: str, parts: Parts, deadline: float) -> dict[str, float]:
    """Cross-validated score of each candidate (higher is better); stops early past `deadline`."""
    x_sample, y_sample = _sample(parts.x_train, parts.y_train, MAX_SELECTION_ROWS)
    folds = _folds(task, y_sample)
    models = candidates(task, len(y_sample))
    scores: dict[str, float] = {}
    for number, (name, estimator) in enumerate(models.items()):
        if scores and time.monotonic() > deadline:
            log(f"Time budget: skipping {name}")
            continue
        job.progress(20 + 40 * number // len(models), f"Cross-validating {name}")
        if folds is None:
            scores[name] = math.nan
            continue
        with heartbeat(f"cross-validating {name}"):
            result = cross_val_score(
                build_pipeline(data, estimator), x_sample, y_sample, cv=folds, scoring=SCORING[task], error_score=np.nan
            )
        scores[name] = float(np.nanmean(result)) if not np.isnan(result).all() else math.nan
        log(f"{name}: {SCORING[task]} = {scores[name]:.4f}")
    return scores


def _folds(task: str, y: np.ndarray) -> KFold | StratifiedKFold | None:
    """Up to 5 folds; None when there are too few rows to cross-validate at all."""
    if task == "classification":
        smallest = int(np.unique(y, return_counts=True)[1].min())
        if smallest >= 2:
            return StratifiedKFold(n_splits=min(5, smallest), shuffle=True, random_state=SEED)
    splits = min(5, len(y) // 2)
    return KFold(n_splits=splits, shuffle=True, random_state=SEED) if splits >= 2 else None


def _sample(x: np.ndarray, y: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    if len(y) <= limit:
        return x, y
    chosen = np.random.default_rng(SEED).choice(len(y), size=limit, replace=False)
    return x[chosen], y[chosen]


def feature_importance(
    model: Pipeline, data: Dataset, task: str, parts: Parts
) -> tuple[list[tuple[str, float, float]], str]:
    """Permutation importance per CSV column: how much the score drops when that column is shuffled.

    Measured on the test rows when there are enough of them, else on the training rows.
    """
    if len(parts.y_test) >= MIN_TEST_ROWS_FOR_IMPORTANCE:
        x, y, rows = parts.x_test, parts.y_test, "test"
    else:
        x, y, rows = parts.x_train, parts.y_train, "train"
    x, y = _sample(x, y, MAX_IMPORTANCE_ROWS)
    with heartbeat("measuring feature importance"):
        result = permutation_importance(
            model, x, y, scoring=SCORING[task], n_repeats=PERMUTATION_REPEATS, random_state=SEED
        )
    ranked = sorted(
        zip(data.features, result.importances_mean, result.importances_std, strict=True), key=lambda item: -item[1]
    )
    return [(name, float(mean), float(std)) for name, mean, std in ranked], rows


def _save_model(job: Job, data: Dataset, model: Pipeline, report: dict[str, Any]) -> None:
    """The fitted pipeline (preprocessing included) with what it expects as input."""
    bundle = {
        "pipeline": model,
        "features": data.features,
        "numeric": data.numeric,
        "target": report["target"],
        "task": report["task"],
        "input": "numpy object array, columns in `features` order; numbers as float (nan = missing), "
        f"categories as str ({MISSING_CATEGORY!r} = missing)",
    }
    joblib.dump(bundle, job.output / "model.joblib", compress=3)


def _write_importance(job: Job, importance: list[tuple[str, float, float]]) -> None:
    rows = [[name, f"{mean:.6g}", f"{std:.6g}"] for name, mean, std in importance]
    _write_csv(job.output / "feature_importance.csv", ["feature", "importance", "std"], rows)


def _write_predictions(
    job: Job, table: Table, data: Dataset, parts: Parts, model: Pipeline, predicted: np.ndarray
) -> None:
    """Each test row as uploaded (`row` counts data rows from 1), then the prediction."""
    confidence = _confidence(model, parts.x_test)
    header = ["row", *table.columns, "predicted", *(["confidence"] if confidence is not None else [])]
    rows = []
    for position, sample in enumerate(parts.test_rows):
        source = data.source_rows[sample]
        value = predicted[position]
        cells = [source + 1, *table.rows[source], value if isinstance(value, str) else f"{value:.6g}"]
        if confidence is not None:
            cells.append(f"{confidence[position]:.4f}")
        rows.append(cells)
    _write_csv(job.output / "predictions.csv", header, rows)


def _write_result(job: Job, report: dict[str, Any], importance: list[tuple[str, float, float]]) -> None:
    job.write_output(
        "result.json",
        {
            "workload": "tabular_train",
            "title": REGISTRY["tabular_train"].title,
            **{key: report[key] for key in ("task", "target", "model", "rows", "test", "seconds")},
            "top_features": [{"feature": name, "importance": round(mean, 4)} for name, mean, _ in importance[:5]],
            "files": list(REGISTRY["tabular_train"].outputs),
        },
    )


def _confidence(model: Pipeline, x: np.ndarray) -> np.ndarray | None:
    """The predicted class's probability; None for regressors, which have no predict_proba."""
    if not hasattr(model, "predict_proba"):
        return None
    return model.predict_proba(x).max(axis=1)


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    """UTF-8 with a BOM, so Excel shows Chinese column names correctly."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _rounded(scores: dict[str, float]) -> dict[str, float | None]:
    return {name: None if math.isnan(score) else round(score, 4) for name, score in scores.items()}


def _log_dataset(data: Dataset, task: str) -> None:
    kinds = ", ".join(
        f"{name} ({'number' if num else 'category'})" for name, num in zip(data.features, data.numeric, strict=True)
    )
    log(f"{len(data.y)} rows for {task}; features: {kinds}")
    for name, reason in data.dropped.items():
        log(f"Ignoring column {name}: {reason}")

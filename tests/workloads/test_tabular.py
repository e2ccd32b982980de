"""tabular_train runs for real on generated data with a known signal."""

import csv
import io
import random

import joblib
import numpy as np
import pytest

pytestmark = pytest.mark.slow


def defect_csv(rows: int) -> str:
    """The defect-cls template's columns; a part is defective when it ran hot (night shift runs hotter)."""
    rng = random.Random(7)
    lines = ["thickness_mm,temperature_c,pressure_kpa,line_speed,shift,defect"]
    for _ in range(rows):
        temperature, shift = rng.randint(175, 200), rng.choice(["day", "night", "swing"])
        defect = int(temperature + (6 if shift == "night" else 0) > 192)
        lines.append(
            f"{rng.uniform(1.1, 1.3):.2f},{temperature},{rng.randint(95, 105)},{rng.randint(30, 42)},{shift},{defect}"
        )
    return "\n".join(lines) + "\n"


def demand_csv(rows: int) -> str:
    """The demand template's columns; promotions sell 180 more units, holidays 40 fewer."""
    rng = random.Random(8)
    lines = ["week,store,promo,holiday,units"]
    for _ in range(rows):
        week, promo, holiday = rng.randint(1, 52), rng.randint(0, 1), rng.randint(0, 1)
        units = 300 + 180 * promo - 40 * holiday + 2 * week + rng.gauss(0, 10)
        lines.append(f"{week},{rng.choice([12, 15, 18])},{promo},{holiday},{units:.0f}")
    return "\n".join(lines) + "\n"


def test_classifier_beats_chance_and_writes_every_artifact(run_workload):
    params = {"target_column": "defect", "task": "classification", "test_fraction": 0.25, "time_budget_minutes": 1}
    run = run_workload("tabular_train", params, files={"dataset_csv": defect_csv(160)})

    assert run.returncode == 0, run.log
    metrics = run.json("metrics.json")
    assert metrics["rows"] == {"in_file": 160, "with_target": 160, "train": 120, "test": 40}
    assert metrics["features"] == {
        "numeric": ["thickness_mm", "temperature_c", "pressure_kpa", "line_speed"],
        "categorical": ["shift"],
        "dropped": {},
    }
    test = metrics["test"]
    assert test["accuracy"] >= 0.85 and test["accuracy"] > test["majority_class_accuracy"] + 0.25
    assert test["confusion_matrix"]["labels"] == ["0", "1"]
    assert np.array(test["confusion_matrix"]["matrix"]).sum() == 40
    assert set(metrics["selection"]["cross_validated_scores"]) == {
        "random_forest",
        "gradient_boosting",
        "logistic_regression",
    }

    importance = list(csv.DictReader(io.StringIO((run.output / "feature_importance.csv").read_text("utf-8-sig"))))
    assert importance[0]["feature"] == "temperature_c"
    predictions = list(csv.DictReader(io.StringIO((run.output / "predictions.csv").read_text("utf-8-sig"))))
    assert len(predictions) == 40
    assert sum(p["predicted"] == p["defect"] for p in predictions) == round(test["accuracy"] * 40)
    assert all(0.5 <= float(p["confidence"]) <= 1 for p in predictions)

    bundle = joblib.load(run.output / "model.joblib")
    hot_night, cool_day = [1.2, 199.0, 100.0, 35.0, "night"], [1.2, 176.0, 100.0, 35.0, "day"]
    assert bundle["pipeline"].predict(np.array([hot_night, cool_day], dtype=object)).tolist() == ["1", "0"]
    assert run.json("result.json")["top_features"][0]["feature"] == "temperature_c"


def test_regressor_explains_the_signal(run_workload):
    params = {"target_column": "units", "task": "regression", "time_budget_minutes": 1}
    run = run_workload("tabular_train", params, files={"dataset_csv": demand_csv(150)})

    assert run.returncode == 0, run.log
    test = run.json("metrics.json")["test"]
    assert test["r2"] > 0.8 and test["mae"] < test["mean_baseline_mae"] / 2
    importance = (run.output / "feature_importance.csv").read_text("utf-8-sig").splitlines()
    assert importance[1].startswith("promo,")
    assert (run.output / "predictions.csv").read_text("utf-8-sig").splitlines()[
        0
    ] == "row,week,store,promo,holiday,units,predicted"


def test_wrong_columns_exit_2_with_error_json(run_workload):
    params = {"target_column": "defect", "task": "classification"}
    run = run_workload("tabular_train", params, files={"dataset_csv": demand_csv(20)})

    assert run.returncode == 2, run.log
    assert run.error() == {
        "code": "missing_column",
        "message": "The CSV has no column defect; it has: week, store, promo, holiday, units.",
        "params": {"column": "defect", "found": ["week", "store", "promo", "holiday", "units"]},
        "field": "target_column",
    }
    assert not (run.output / "model.joblib").exists()


def test_the_demo_templates_four_row_example_is_too_small(run_workload):
    example = "thickness_mm,temperature_c,pressure_kpa,line_speed,defect\n1.20,182,101,35,0\n1.18,190,99,38,1\n"
    example += "1.22,180,102,34,0\n1.25,195,97,40,1\n"
    run = run_workload("tabular_train", {"target_column": "defect", "task": "classification"}, {"dataset_csv": example})

    assert run.returncode == 2, run.log
    assert run.error()["code"] == "too_few_rows"
    assert run.error()["params"] == {"rows": 4, "minimum": 10, "column": "defect"}


def test_a_class_with_one_row_trains_instead_of_crashing(run_workload):
    content = "a,b,y\n" + "".join(f"{i},{i % 3},{'rare' if i == 4 else i % 2}\n" for i in range(12))
    params = {"target_column": "y", "task": "classification", "test_fraction": 0.5}

    run = run_workload("tabular_train", params, {"dataset_csv": content})

    assert run.returncode == 0, run.log
    metrics = run.json("metrics.json")
    assert metrics["rows"]["train"] + metrics["rows"]["test"] == 12
    assert metrics["test"]["confusion_matrix"]["labels"] == ["0", "1", "rare"]
    predictions = (run.output / "predictions.csv").read_text("utf-8-sig")
    assert ",rare," not in predictions  # the only "rare" row was kept for training

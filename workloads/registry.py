"""The workloads a solution template can launch (ids match `catalog.choices.Workload`)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class WorkloadSpec:
    """How the engine and the web side see one workload."""

    id: str
    title: str
    module: str  # `workloads.<module>` has `run(job: Job) -> None`
    file_params: tuple[str, ...]  # params whose value in params.json is a path relative to the job dir
    outputs: tuple[str, ...]  # files written to DIR/output/ on success


REGISTRY: dict[str, WorkloadSpec] = {
    spec.id: spec
    for spec in (
        WorkloadSpec(
            id="knowledge_base",
            title="Knowledge base Q&A (sentence embeddings)",
            module="knowledge_base",
            file_params=(),
            outputs=("result.json", "answers.json", "answers.md", "index.npz"),
        ),
        WorkloadSpec(
            id="tabular_train",
            title="Train and evaluate a tabular model",
            module="tabular",
            file_params=("dataset_csv",),
            outputs=("result.json", "metrics.json", "model.joblib", "feature_importance.csv", "predictions.csv"),
        ),
        WorkloadSpec(
            id="text_summary",
            title="Summarise documents",
            module="summary",
            file_params=(),
            outputs=("result.json", "summaries.json", "summaries.md"),
        ),
    )
}

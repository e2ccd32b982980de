"""The computations that jobs run, as `python -m workloads <workload_id> --job-dir DIR`.

Importing the package is cheap (stdlib only) so the web process can use `REGISTRY` and
`workloads.checks.check_inputs`; numpy, scikit-learn and the embedding model load only inside a job.
"""

from workloads.registry import REGISTRY, WorkloadSpec

__all__ = ["REGISTRY", "WorkloadSpec"]

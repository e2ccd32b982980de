"""`python -m workloads <workload_id> --job-dir DIR`: run one workload in a job directory.

Exit codes: 0 success; 2 unusable inputs (DIR/error.json says why); 1 any other failure.
"""

import argparse
import importlib
import os
import sys
import time
import traceback
from pathlib import Path

from workloads.checks import check_inputs
from workloads.jobdir import Job, log
from workloads.problems import InputError
from workloads.registry import REGISTRY, WorkloadSpec

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workloads", description=__doc__)
    parser.add_argument("workload", choices=sorted(REGISTRY))
    parser.add_argument("--job-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    spec = REGISTRY[args.workload]
    # OpenMP threads (scikit-learn's boosting, the embedding engine) spin while waiting by default,
    # which slows a job many times over when other jobs share the cores. Read when the libraries
    # load, so set before any workload module is imported; the engine may also cap OMP_NUM_THREADS.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    job = Job.open(args.job_dir)
    started = time.monotonic()
    log(f"Starting {spec.title} ({spec.id}) in {args.job_dir}")
    try:
        reject_unusable_inputs(spec, job)
        importlib.import_module(f"workloads.{spec.module}").run(job)
    except InputError as exc:
        job.write_error(exc.problem)
        log(f"Unusable input: {exc}")
        return EXIT_BAD_INPUT
    except Exception:
        traceback.print_exc()
        sys.stderr.flush()
        log("The job failed.")
        return EXIT_FAILED
    log(f"Finished in {time.monotonic() - started:.1f} s")
    return EXIT_OK


def reject_unusable_inputs(spec: WorkloadSpec, job: Job) -> None:
    """The web side's early checks, run again before the heavy imports so bad inputs fail in a blink."""
    files = {name: job.file_param(name) for name in spec.file_params}
    problems = check_inputs(spec.id, job.params, files)
    if problems:
        raise InputError(problems[0])


if __name__ == "__main__":
    sys.exit(main())

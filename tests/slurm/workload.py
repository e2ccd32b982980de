"""A tiny stand-in workload for the Slurm engine's own tests: ``python -m tests.slurm.workload
<what> --job-dir DIR`` where <what> is ``sleep-<seconds>`` or ``exit-<code>``. It prints the cards
Slurm gave it and writes progress.json like a real workload (the portal's flows use real ones)."""

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("what")
    parser.add_argument("--job-dir", type=Path, required=True)
    args = parser.parse_args()
    kind, _, number = args.what.partition("-")
    print(f"cards={os.environ.get('PORTAL_CARD_SLOTS', '')} cuda={os.environ.get('CUDA_VISIBLE_DEVICES', '')}")
    print("to stderr", file=sys.stderr, flush=True)
    (args.job_dir / "progress.json").write_text(json.dumps({"percent": 50, "stage": kind}))
    if kind == "exit":
        return int(number)
    time.sleep(float(number))
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

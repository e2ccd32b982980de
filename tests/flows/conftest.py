import pytest


@pytest.fixture
def job_dirs(settings, tmp_path):
    """Job files and engine state in this test's folder, for the test process and its worker alike."""
    jobs_root, engine_root = tmp_path / "jobs", tmp_path / "engine"
    settings.JOBS_ROOT = jobs_root
    settings.COMPUTE_ENGINES = {"local": {"root": engine_root}}
    return {"JOBS_ROOT": str(jobs_root), "ENGINE_ROOT": str(engine_root)}

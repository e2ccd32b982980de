"""Compute engines: where jobs actually run. Import the interface from here."""

from compute.engines.base import (
    Engine,
    EngineError,
    EngineState,
    EngineStatus,
    JobSpec,
    get_engine,
    register_engine,
)

__all__ = ["Engine", "EngineError", "EngineState", "EngineStatus", "JobSpec", "get_engine", "register_engine"]

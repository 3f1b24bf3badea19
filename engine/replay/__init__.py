"""Replay: re-running a case's recorded history on its pinned version, and its state at any event.

A replay runs in memory with a clock that walks the recorded times and compares what the engine
does with what was recorded (:mod:`engine.replay.match`); it writes nothing, so an auditor may run it.
"""
from engine.replay.model import ReplayError
from engine.replay.rerun import Divergence, ReplayResult, replay_case, state_at

__all__ = ["ReplayError", "Divergence", "ReplayResult", "replay_case", "state_at"]

"""Snapshot store: the durable, append-only history of every LCD version lcdtrack has seen."""

from lcdtrack.snapshots.store import ChangeLog, SaveResult, SnapshotStore

__all__ = ["ChangeLog", "SaveResult", "SnapshotStore"]

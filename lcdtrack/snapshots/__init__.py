"""Snapshot store: the durable, append-only history of every LCD version lcdtrack has seen."""

from lcdtrack.snapshots.store import SaveResult, SnapshotStore

__all__ = ["SaveResult", "SnapshotStore"]

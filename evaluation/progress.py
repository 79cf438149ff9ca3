"""Progress of a long evaluation: a rich progress bar on a terminal, nothing otherwise.

The runner reports progress through `Progress.task`; whether anything is drawn is the
caller's choice (the CLI shows it when stderr is a terminal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ingest.progress import progress


class Progress:
    """Silent progress: the default, and the base of `BarProgress`."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        yield lambda n: None


class BarProgress(Progress):
    """Each task shown as `ingest.progress` shows an ingest's (a rich bar on stderr)."""

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        with progress(description, total) as advance:
            yield advance

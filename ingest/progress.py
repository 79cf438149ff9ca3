"""Progress of a long step (embedding an ingest's chunks, an evaluation's questions), on stderr.

Stdout holds a command's output, so progress never goes there: on a terminal it is a rich
bar on stderr, gone when the step ends; when stderr is not a terminal (`make demo 2>&1 | tee
log`, a CI log, Compose's logs) it is plain lines, the first before any work (the embedding
model's loading is the longest silence of a first ingest) and then one per tenth of the work:
`embedding chunks: 64 of 480`. The ingest pipeline and `citebot eval` both show it through
`progress`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LINES = 10  # plain lines per step besides the first, at most


def on_terminal() -> bool:
    """Whether stderr, where progress goes, is a terminal."""
    return sys.stderr.isatty()


@contextmanager
def progress(description: str, total: int, show: bool = True) -> Iterator[Callable[[int], None]]:
    """A function to call with each amount of work done, out of `total`; shown as a bar on a
    terminal, as lines otherwise, not at all when `show` is false or there is nothing to do."""
    if not show or total <= 0:
        yield lambda n: None
    elif on_terminal():
        with _bar(description, total) as advance:
            yield advance
    else:
        yield _lines(description, total)


@contextmanager
def _bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=True,
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def _lines(description: str, total: int) -> Callable[[int], None]:
    step = -(-total // LINES)  # a tenth of the work, rounded up
    done = 0

    def say() -> None:
        print(f"{description}: {done} of {total}", file=sys.stderr, flush=True)

    def advance(n: int) -> None:
        nonlocal done
        before, done = done, done + n
        if done // step > before // step or (done >= total > before):
            say()

    say()
    return advance

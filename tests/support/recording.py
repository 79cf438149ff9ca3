"""A real `Answerer` that records what an adapter asked it: the adapter tests of the
conversation rule compare what the adapter got with what the question alone gets."""

from __future__ import annotations


class RecordingAnswerer:
    """A real `Answerer` that remembers each (question, history, answer) an adapter asked."""

    def __init__(self, answerer) -> None:
        self.answerer = answerer
        self.answers: list[tuple] = []

    def ask(self, question, history=(), *, collection=None):
        answer = self.answerer.ask(question, history, collection=collection)
        self.answers.append((question, tuple(history), answer))
        return answer

    async def aask(self, question, history=(), *, collection=None):
        import asyncio

        return await asyncio.to_thread(self.ask, question, history, collection=collection)

    def __getattr__(self, name: str):
        return getattr(self.answerer, name)

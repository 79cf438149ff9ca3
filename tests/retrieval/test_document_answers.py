"""Answers from PDF and Word files: the quote is verbatim, knows its page, and links to it.

`citebot ingest` takes a folder holding a PDF, a Word file and a markdown note, plus a PDF
served by a local HTTP server; `citebot ask --json` then answers questions whose answers sit
on page 2. Real embedding model, real CLI processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console import render_answer
from retrieval.models import Answer, Quote
from tests.support.cli import clean_env, run_cli
from tests.support.documents import (
    ANSWER_ON_PAGE_2,
    FERRY,
    HARBOUR,
    TEA,
    make_docx,
    make_pdf,
)
from tests.support.net import http_server
from tests.support.settings import make_settings


@pytest.fixture(scope="module")
def pdf_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serves the harbour report at /reports/q3 (no .pdf in the URL) as application/pdf."""
    body = make_pdf(tmp_path_factory.mktemp("served") / "q3.pdf", HARBOUR).read_bytes()

    with http_server({"/reports/q3": (200, "application/pdf", body)}) as base:
        yield f"{base}/reports/q3"


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory, pdf_server: str) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("document-answers")
    folder = root / "library"
    folder.mkdir()
    make_pdf(folder / "ferry-review.pdf", FERRY)
    make_docx(folder / "tea-report.docx", TEA)
    (folder / "note.md").write_text("# Opening hours\n\nThe office opens at nine every weekday.\n")
    settings = make_settings(root)

    env = clean_env(CITEBOT_CHROMA_PATH=str(settings.chroma_path))
    ingested = run_cli("ingest", str(folder), pdf_server, "--json", env=env)
    assert ingested.returncode == 0, ingested.stderr
    report = json.loads(ingested.stdout.strip().splitlines()[-1])
    assert report["articles"] == 4 and report["skipped"] == []
    again = run_cli("ingest", str(folder), pdf_server, "--json", env=env)
    assert json.loads(again.stdout.strip().splitlines()[-1])["chunks_added"] == 0

    questions = {
        "en": "Have the electric boats that joined the fleet in June been reliable?",
        "zh-Hans": "冷链仓库的扩建工程什么时候完工？",
        "zh-Hant": "合作社在秋季開設了什麼？",
    }
    asked = run_cli("ask", "--json", *questions.values(), env=env)
    assert asked.returncode == 0, asked.stderr
    lines = [json.loads(line) for line in asked.stdout.strip().splitlines()]
    return dict(zip(questions, lines, strict=True))


def _quote_with(answer: dict, words: str) -> dict:
    assert answer["confident"], answer
    found = [q for q in answer["quotes"] if words in q["text"]]
    assert found, [q["text"] for q in answer["quotes"]]
    return found[0]


def test_a_pdf_from_a_url_links_to_the_page_of_the_quote(
    answers: dict[str, dict], pdf_server: str
) -> None:
    quote = _quote_with(answers["zh-Hans"], ANSWER_ON_PAGE_2["zh-Hans"])
    assert quote["page"] == 2
    assert quote["url"] == f"{pdf_server}#page=2"
    assert quote["title"] == "东湾港季度报告"
    assert quote["published"] == "2024-10-08"


@pytest.mark.parametrize(
    ("language", "file_name"), [("en", "ferry-review.pdf"), ("zh-Hant", "tea-report.docx")]
)
def test_a_file_quote_has_its_page_and_no_link(
    answers: dict[str, dict], language: str, file_name: str
) -> None:
    quote = _quote_with(answers[language], ANSWER_ON_PAGE_2[language])
    assert quote["page"] == 2
    assert quote["url"] is None
    assert Path(quote["source"]).name == file_name
    shown = render_answer(Answer("q", "a", True, [Quote(**quote)]))
    assert f"{file_name}, p. 2" in shown


def test_quotes_are_verbatim_in_the_cleaned_text(answers: dict[str, dict]) -> None:
    for language, answer in answers.items():
        quote = _quote_with(answer, ANSWER_ON_PAGE_2[language])
        # The quote is a span of the paragraphs the fixture wrote (no header, no page number).
        spec = {"en": FERRY, "zh-Hans": HARBOUR, "zh-Hant": TEA}[language]
        text = "\n\n".join(p for page in spec.pages for p in page)
        assert text[quote["start"] : quote["end"]] == quote["text"]

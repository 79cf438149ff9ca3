"""Asks "What is X?" of names, in the mixed store, across languages: how often citebot answers
with a quote that holds the name, and how often it answers when no stored article holds it.

A bare question about a name ("Who is Greg Brockman?", "AtCoder是什么？") is what a new user
asks first, and the public sets hardly have any (three in 8,000 questions). The questions are
made from the public mixed set (../shared/eval/xquad_mixed.json, one store of English and
Chinese articles) by a fixed rule, never written by hand:

- across languages, answerable: the Latin names written in the Chinese articles (NASUWT,
  Kublai), asked in English, and the capitalised names of the English articles (Super Bowl,
  Genghis Khan), asked in Chinese ("X是什么？");
- not stored: the capitalised names of the unanswerable set's articles that no stored
  article holds, asked both ways. The answer must be "I don't know".

A confident answer to an answerable one is a hit when its first quote holds the name.

    PYTHONPATH=. .venv/bin/python benchmarks/name_questions.py --json out.json
    .venv/bin/python benchmarks/name_questions.py --compare old.json new.json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import EVAL_DIR, machine_info  # noqa: E402

MIXED = EVAL_DIR / "xquad_mixed.json"
UNSTORED = EVAL_DIR / "xquad_mixed_unanswerable.json"
PER_GROUP = 60
SEED = 14
# A capitalised name of one to three words; one that opens with one of these is a sentence's
# first word, not a name.
_ENGLISH_NAME = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}\b")
_NOT_NAMES = frozenset(
    "The A An In On At By For From With This That These Those It Its He She They His Her Their "
    "There Some Many Most Other After Before During When While Since As Although However Also "
    "Both Each Several Because If Although Though Unlike Like Between Under Over Among".split()
)
_LATIN_IN_CHINESE = re.compile(r"[A-Za-z][A-Za-z0-9.-]+(?: [A-Za-z][A-Za-z0-9.-]+){0,2}")


def english_names(text: str) -> set[str]:
    """Capitalised names of one to three words, seen twice or more in `text`."""
    counts = Counter(
        found for found in _ENGLISH_NAME.findall(text) if found.split()[0] not in _NOT_NAMES
    )
    return {name for name, count in counts.items() if count >= 2 and len(name) > 2}


def latin_names(text: str) -> set[str]:
    """Latin words and names written in Chinese text (two letters or more)."""
    return {found for found in _LATIN_IN_CHINESE.findall(text) if len(found) > 2}


def questions(stored: list[Any], unstored: list[Any]) -> list[dict[str, str]]:
    """The questions, by the rule in the module docstring: (group, name, question)."""
    from ingest.text import language_of

    rng = random.Random(SEED)
    stored_text = "\n".join(article.text for article in stored)
    made: list[dict[str, str]] = []
    en_to_zh = sorted(
        {n for a in stored if language_of(a.text) == "zh" for n in latin_names(a.text)}
    )
    zh_to_en = sorted(
        {n for a in stored if language_of(a.text) == "en" for n in english_names(a.text)}
    )
    absent = sorted(
        {n for a in unstored for n in english_names(a.text)}
        - {n for n in english_names(stored_text) | latin_names(stored_text)}
    )
    absent = [n for n in absent if n.lower() not in stored_text.lower()]
    for group, names, asked in (
        ("en->zh", en_to_zh, "What is {}?"),
        ("zh->en", zh_to_en, "{}是什么？"),
        ("absent-en", absent, "What is {}?"),
        ("absent-zh", absent, "{}是什么？"),
    ):
        for name in rng.sample(names, min(PER_GROUP, len(names))):
            made.append({"group": group, "name": name, "question": asked.format(name)})
    return made


def run() -> dict[str, Any]:
    for name in list(os.environ):  # the extractive chain, as the tests run it
        if name.startswith("CITEBOT_"):
            del os.environ[name]
    from config import load_settings
    from evaluation import load_eval_set
    from ingest import ArticleStore
    from ingest.pipeline import ingest_articles
    from retrieval import Answerer

    stored = load_eval_set(MIXED).articles
    unstored = load_eval_set(UNSTORED).articles
    asked = questions(stored, unstored)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(chroma_path=Path(tmp) / "chroma", _env_file=None)
        ingest_articles(stored, ArticleStore(settings), show_progress=False)
        answerer = Answerer(settings)
        for row in asked:
            answer = answerer.ask(row["question"])
            features = answerer.explain(row["question"]).features
            first = answer.quotes[0].text if answer.quotes else ""
            rows.append(
                {
                    **row,
                    "confident": answer.confident,
                    "holds_name": row["name"].lower() in first.lower(),
                    "quote": first[:120],
                    "sentence": round(features.sentence, 4),
                    "lexical": round(features.lexical, 4),
                    "translated_coverage": round(features.translated_coverage, 4),
                    "cross_language": features.cross_language,
                    "names_quoted": getattr(features, "names_quoted", None),
                }
            )
    return {"machine": machine_info(), "rows": rows}


def table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| group | n | answered | answered, the quote holds the name |", "|---|---|---|---|"]
    for group in dict.fromkeys(r["group"] for r in rows):
        mine = [r for r in rows if r["group"] == group]
        answered = [r for r in mine if r["confident"]]
        holding = sum(r["holds_name"] for r in answered)
        lines.append(f"| {group} | {len(mine)} | {len(answered)} | {holding} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write every question's outcome here")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"),
                        help="list the questions whose outcome differs between two --json runs")
    args = parser.parse_args()
    if args.compare:
        old, new = (json.loads(p.read_text(encoding="utf-8"))["rows"] for p in args.compare)
        for before, after in zip(old, new, strict=True):
            if before["confident"] != after["confident"]:
                print(f"{after['group']}: {after['question']} {before['confident']} → "
                      f"{after['confident']} {after['quote']!r}")
        return 0
    result = run()
    print("\n".join(table(result["rows"])))
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Replays whole conversations through `Answerer.ask(question, history)` and counts, per kind
of turn, what a user would see: the answer found, a confident wrong answer, or "I don't know".

The follow-up fixtures (tests/fixtures/conversations/conversations.json) are what the
conversation rule was developed on; this measures it on conversations it was not
(benchmarks/conversations/unseen.json, over the same articles): changes of subject and
follow-ups about the new subject, questions in the other language than their article, a
switch of language mid-conversation, requests for more (twice in a row too), "Why?", and
questions the articles cannot answer after a conversation. The store is built once, in a
temporary directory, as the tests build it. An assistant turn of the history carries the
quotes the answer showed, as the console keeps them (`Turn.quoted`).

`--set benchmarks/conversations/unseen2.json` replays 16 more conversations, written in the
twenty-second session by a helper that never saw the bot's answers to them (BENCHMARKS.md,
"Twenty-second session": their first replay, and what was mended with them since).
`--set benchmarks/conversations/unseen3.json`: 16 more (80 turns), written the same way in the
twenty-third session ("Twenty-third session").
`unseen4.json` (16, 83 turns) and `unseen5.json` (16, 84 turns) were written the same way in the
twenty-fourth and twenty-fifth sessions.

To compare two versions of the code, run this file with PYTHONPATH at each checkout, then
diff the two --json outputs:

    PYTHONPATH=. .venv/bin/python benchmarks/conversation_replay.py --json new.json
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/conversation_replay.py --json old.json
    .venv/bin/python benchmarks/conversation_replay.py --compare old.json new.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
ARTICLES = REPO / "tests" / "fixtures" / "conversations" / "articles.json"
UNSEEN = REPO / "benchmarks" / "conversations" / "unseen.json"
KINDS = ("first", "follow_up", "why", "more", "new_subject", "follow_up_new", "unanswerable")
# What a note says when the question was read with the conversation (retrieval.conversation.NOTE),
# in English, Simplified and Traditional.
READ_WITH_CONVERSATION = ("earlier question", "之前的问题", "之前的問題")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=UNSEEN, help="the conversations to replay")
    parser.add_argument("--json", type=Path, help="write every turn's outcome here")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("OLD", "NEW"),
                        help="list the turns whose outcome differs between two --json runs")
    args = parser.parse_args()
    if args.compare:
        old, new = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        print_differences(old, new)
        return 0
    conversations = json.loads(args.set.read_text(encoding="utf-8"))["conversations"]
    result = replay(conversations, args.set)
    print_table(result["turns"])
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


def replay(conversations: list[dict[str, Any]], source: Path = UNSEEN) -> dict[str, Any]:
    """Every conversation asked turn by turn with its history, in one store built once."""
    for name in list(os.environ):  # the extractive chain, as the tests run it
        if name.startswith("CITEBOT_"):
            del os.environ[name]
    from config import load_settings
    from evaluation import load_eval_set
    from ingest import ArticleStore
    from ingest.pipeline import ingest_articles
    from ingest.text import language_of
    from retrieval import Answerer, Turn

    articles = load_eval_set(ARTICLES).articles
    texts = {article.title: article.text for article in articles}
    ids = {article.article_id: article.title for article in articles}
    check_gold(conversations, texts)
    turns: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(chroma_path=Path(tmp) / "chroma", _env_file=None)
        ingest_articles(articles, ArticleStore(settings), show_progress=False)
        answerer = Answerer(settings)
        for conversation in conversations:
            history: list[Any] = []
            shown: list[tuple[str, int, int]] = []  # every quote the conversation showed
            topic: set[tuple[str, int]] = set()  # paragraphs where its answers were found
            previous_language = None
            for number, turn in enumerate(conversation["turns"]):
                question = turn["question"]
                answer = answerer.ask(question, history)
                language = language_of(question)
                article = turn.get("article")
                record: dict[str, Any] = {
                    "conversation": conversation["id"],
                    "turn": number,
                    "question": question,
                    "kind": turn["kind"],
                    "history": [t.text for t in history if t.role == "user"],
                    "confident": answer.confident,
                    "quotes": [
                        {"title": ids.get(q.article_id, q.title), "text": q.text}
                        for q in answer.quotes
                    ],
                    "notes": list(answer.notes),
                    "read_with_conversation": any(
                        marker in note for note in answer.notes for marker in READ_WITH_CONVERSATION
                    ),
                    "cross_language": bool(article) and language != language_of(texts[article]),
                    "switch": previous_language is not None and language != previous_language,
                }
                if any(texts[ids[q.article_id]][q.start : q.end] != q.text for q in answer.quotes):
                    raise SystemExit(f"{question}: a quote's offsets are not the article's")
                record["outcome"] = outcome(turn, answer, shown, topic, ids, texts)
                record["other_articles"] = sorted(
                    {ids[q.article_id] for q in answer.quotes} - {article} if article else set()
                )
                if turn["kind"] == "new_subject":
                    alone = answerer.ask(question)
                    record["same_as_alone"] = _shown(alone) == _shown(answer)
                    record["alone"] = {
                        "confident": alone.confident,
                        "quotes": [{"title": ids.get(q.article_id, q.title), "text": q.text}
                                   for q in alone.quotes],
                    }
                turns.append(record)
                shown += [(q.article_id, q.start, q.end) for q in answer.quotes]
                topic |= answered_in(turn, answer, ids, texts)
                shown_quotes = tuple(q.text for q in answer.quotes)  # as the console keeps them
                history += [Turn("user", question), Turn("assistant", answer.text, shown_quotes)]
                previous_language = language
    return {"code": code_version(), "set": str(source), "turns": turns}


def outcome(
    turn: dict[str, Any],
    answer: Any,
    shown: list[tuple[str, int, int]],
    topic: set[tuple[str, int]],
    ids: dict[str, str],
    texts: dict[str, str],
) -> str:
    """"hit", "confident-wrong" or "idk" for a turn with an answer; "idk" or
    "confident-wrong" for an unanswerable one.

    A request for more is judged by its first quote, the one a reader reads first: a "hit"
    when it is new to the conversation (overlaps no quote shown before) and in a paragraph
    where an earlier answer of the conversation was found (more of the same topic),
    "off-topic" when it is new but from another paragraph of the article, "repeat" when the
    conversation showed it already, "confident-wrong" when it is from another article.
    """
    if not answer.confident:
        return "idk"
    if turn["kind"] == "unanswerable":
        return "confident-wrong"
    if turn["kind"] == "more":
        if not answer.quotes:
            return "confident-wrong"
        first = answer.quotes[0]
        title = ids.get(first.article_id, "")
        if title != turn["article"]:
            return "confident-wrong"
        if any(a == first.article_id and s < first.end and first.start < e for a, s, e in shown):
            return "repeat"
        return "hit" if (title, paragraph_of(texts[title], first.start)) in topic else "off-topic"
    hit = any(gold in q.text for q in answer.quotes for gold in turn["answers"])
    return "hit" if hit else "confident-wrong"


def answered_in(
    turn: dict[str, Any], answer: Any, ids: dict[str, str], texts: dict[str, str]
) -> set[tuple[str, int]]:
    """The (article, paragraph) of every quote of `answer` that holds one of the turn's gold
    answers: the topic a request for more continues."""
    return {
        (ids[q.article_id], paragraph_of(texts[ids[q.article_id]], q.start))
        for q in answer.quotes
        if any(gold in q.text for gold in turn.get("answers", ()))
    }


def paragraph_of(text: str, offset: int) -> int:
    """Which paragraph of an article (XQuAD and CMRC paragraphs are separate passages,
    joined by a blank line) holds the character at `offset`."""
    return text.count("\n\n", 0, offset)


def _shown(answer: Any) -> tuple[bool, list[tuple[str, str]]]:
    return answer.confident, [(q.article_id, q.text) for q in answer.quotes]


def check_gold(conversations: list[dict[str, Any]], texts: dict[str, str]) -> None:
    """Every gold answer is in its article as the store holds it (a typo would count as a miss)."""
    for conversation in conversations:
        for turn in conversation["turns"]:
            if turn["kind"] == "unanswerable":
                continue
            text = texts[turn["article"]]
            missing = [gold for gold in turn.get("answers", []) if gold not in text]
            if missing:
                raise SystemExit(f"{conversation['id']}: {missing} not in {turn['article']}")


def code_version() -> str:
    """The commit of the retrieval code imported (PYTHONPATH decides which checkout)."""
    import subprocess

    import retrieval

    root = Path(retrieval.__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h", "--",
                              "retrieval/"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return str(root)
    return f"{root} retrieval@{out.stdout.strip()}"


def print_table(turns: list[dict[str, Any]]) -> None:
    """One row per kind of turn, then the turns that cross or switch languages."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for turn in turns:
        rows[turn["kind"]].append(turn)
        if turn["cross_language"]:
            rows["(cross-language)"].append(turn)
        if turn["switch"]:
            rows["(language switch)"].append(turn)
    print(f"{'kind':<20}{'turns':>6}{'hit':>6}{'conf-wrong':>12}{'off-topic':>11}{'repeat':>8}"
          f"{'idk':>6}{'read-with-conv':>16}{'same-as-alone':>15}")
    for kind in (*KINDS, "(cross-language)", "(language switch)"):
        group = rows.get(kind, [])
        if not group:
            continue
        counts = Counter(turn["outcome"] for turn in group)
        same = [turn["same_as_alone"] for turn in group if "same_as_alone" in turn]
        print(
            f"{kind:<20}{len(group):>6}{counts['hit']:>6}{counts['confident-wrong']:>12}"
            f"{counts['off-topic']:>11}{counts['repeat']:>8}{counts['idk']:>6}"
            f"{sum(t['read_with_conversation'] for t in group):>16}"
            f"{f'{sum(same)}/{len(same)}' if same else '':>15}"
        )
    answerable = [t for t in turns if t["kind"] != "unanswerable"]
    hits = sum(t["outcome"] == "hit" for t in answerable)
    wrong = sum(t["outcome"] in ("confident-wrong", "off-topic", "repeat") for t in turns)
    print(f"answerable turns answered: {hits}/{len(answerable)}; confident-wrong: {wrong}/"
          f"{len(turns)}; unanswerable said I don't know: "
          f"{sum(t['outcome'] == 'idk' for t in turns if t['kind'] == 'unanswerable')}/"
          f"{sum(t['kind'] == 'unanswerable' for t in turns)}")
    strays = [t for t in turns if t["kind"] == "more" and t["other_articles"]]
    print(f"requests for more quoting another article too: {len(strays)}/"
          f"{sum(t['kind'] == 'more' for t in turns)}")


def print_differences(old: dict[str, Any], new: dict[str, Any]) -> None:
    """Every turn whose outcome (or, for a new subject, sameness with the question alone)
    differs, with its history and each answer's first quote."""
    print(f"old: {old['code']}\nnew: {new['code']}")
    for before, after in zip(old["turns"], new["turns"], strict=True):
        if (before["outcome"], before.get("same_as_alone")) == (
            after["outcome"], after.get("same_as_alone")
        ):
            continue
        print(f"\n[{after['conversation']} #{after['turn']}, {after['kind']}] {after['question']}")
        print(f"  history: {' | '.join(after['history']) or '(none)'}")
        for label, turn in (("old", before), ("new", after)):
            same = f", same as alone: {turn['same_as_alone']}" if "same_as_alone" in turn else ""
            print(f"  {label}: {turn['outcome']}{same}, read with conversation: "
                  f"{turn['read_with_conversation']}; {first_quote(turn)}")


def first_quote(turn: dict[str, Any]) -> str:
    if not turn["quotes"]:
        return "no quote"
    quote = turn["quotes"][0]
    text = " ".join(quote["text"].split())
    return f"[{quote['title']}] {text[:110]}{'…' if len(text) > 110 else ''}"


if __name__ == "__main__":
    sys.exit(main())

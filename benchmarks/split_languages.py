"""Every topic in both languages: XQuAD articles cut into paragraphs of alternating languages.

The mixed set (`xquad_mixed.json`) stores each article whole in one language, so the other
language never holds anything on a question's topic. Real stores do: Chinese and English
news of the same event. This script cuts XQuAD articles `FIRST`..`LAST - 1` into their
paragraphs, each stored as its own article — paragraphs 1, 3, 5 in Chinese (xquad_zh), 2 and 4
in English (xquad_en) — and asks every question in both languages, its gold answer in the
stored paragraph's language. Only the paragraph, not the topic, tells which language answers.

    python benchmarks/split_languages.py 20 40 data/split_fit.json    # choosing (the gate's overrule)
    python benchmarks/split_languages.py 40 48 data/split_held.json   # held out
    citebot eval data/split_held.json --json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from common import EVAL_DIR


def split_languages(english: list[dict], chinese: list[dict], first: int, last: int) -> list[dict]:
    """The `data[]` of the split store for articles `first`..`last - 1` of the parallel sets."""
    data: list[dict[str, Any]] = []
    for index in range(first, last):
        pairs = zip(english[index]["paragraphs"], chinese[index]["paragraphs"], strict=True)
        for number, (in_english, in_chinese) in enumerate(pairs):
            language = "zh" if number % 2 == 0 else "en"
            stored = in_chinese if language == "zh" else in_english
            chinese_questions = {q["id"]: q for q in in_chinese["qas"]}
            questions = []
            for question in in_english["qas"]:
                translated = chinese_questions[question["id"]]
                gold = (translated if language == "zh" else question)["answers"]
                questions.append({**question, "id": f"{question['id']}-en", "lang": "en", "answers": gold})
                questions.append(
                    {**translated, "id": f"{question['id']}-zh", "lang": "zh", "answers": gold}
                )
            title = english[index]["title"].replace("_", " ")
            data.append(
                {
                    "title": f"{title} ({number + 1})",
                    "lang": language,
                    "paragraphs": [{"context": stored["context"], "qas": questions}],
                }
            )
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("first", type=int, help="first XQuAD article (0-47)")
    parser.add_argument("last", type=int, help="one past the last article")
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    english = json.loads((EVAL_DIR / "xquad_en.json").read_text(encoding="utf-8"))["data"]
    chinese = json.loads((EVAL_DIR / "xquad_zh.json").read_text(encoding="utf-8"))["data"]
    data = split_languages(english, chinese, args.first, args.last)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"version": "split", "data": data}, ensure_ascii=False))
    questions = sum(len(p["qas"]) for a in data for p in a["paragraphs"])
    print(f"{len(data)} paragraphs stored; {questions} questions", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

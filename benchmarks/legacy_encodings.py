"""Short Chinese text in GB18030 and Big5: how often `decode_bytes` gets it right.

Short snippets (2-40 characters, seeded) of DRCD's questions and paragraphs and of the sample
articles, in Traditional script as Big5 and in Simplified (zhconv) as GB18030, kept only when
both codecs decode the bytes strictly: those are the ones the detector has to choose for.
Each wrong reading is put down to what took it: Windows-1252 (the detector's choice), UTF-8
(the bytes are valid UTF-8, decoded before any legacy codec is tried: 学校 → ѧУ) or the
other Chinese codec.

    .venv/bin/python benchmarks/legacy_encodings.py [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

import zhconv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import EVAL_DIR, REPO  # noqa: E402
from ingest.encodings import decode_bytes  # noqa: E402

LENGTHS = (2, 3, 4, 5, 6, 8, 10, 15, 20, 40)
SNIPPETS_PER_ARTICLE_FILE = 300


def snippets(seed: int = 1) -> list[str]:
    drcd = json.loads((EVAL_DIR / "DRCD_dev.json").read_text("utf-8"))
    texts = [
        text
        for article in drcd["data"]
        for paragraph in article["paragraphs"]
        for text in (paragraph["context"], *(qa["question"] for qa in paragraph["qas"]))
    ]
    rng = random.Random(seed)
    out = []
    for text in texts:
        length = rng.choice(LENGTHS)
        start = rng.randrange(max(1, len(text) - length))
        out.append(text[start : start + length])
    for path in sorted((REPO / "examples" / "articles").glob("*.txt")):
        text = path.read_text("utf-8")
        for _ in range(SNIPPETS_PER_ARTICLE_FILE):
            length = rng.choice(LENGTHS)
            start = rng.randrange(len(text) - length)
            out.append(text[start : start + length])
    return out


def _bucket(text: str) -> str:
    return "2-6" if len(text) <= 6 else "7-15" if len(text) <= 15 else "16-40"


def measure() -> dict[str, dict[str, int]]:
    outcomes: dict[str, Counter[str]] = {}
    for snippet in snippets():
        for encoding, script in (("gb18030", "zh-cn"), ("big5", "zh-tw")):
            text = zhconv.convert(snippet, script)
            try:
                data = text.encode(encoding)
                readings = {codec: data.decode(codec) for codec in ("gb18030", "big5")}
            except UnicodeError:
                continue
            if data.isascii():
                continue
            decoded = decode_bytes(data)
            if decoded == text:
                outcome = "right"
            elif decoded in readings.values():
                outcome = "wrong: the other Chinese codec"
            elif decoded == data.decode("cp1252", errors="replace"):
                outcome = "wrong: Windows-1252"
            else:
                outcome = "wrong: UTF-8"
            outcomes.setdefault(f"{encoding} {_bucket(text)} chars", Counter())[outcome] += 1
    return {
        key: {"n": counts.total()} | dict(sorted(counts.items(), key=lambda kv: kv[0] != "right"))
        for key, counts in sorted(outcomes.items())
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    figures = measure()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    for key, counts in figures.items():
        print(f"{key:22} " + ", ".join(f"{name} {count}" for name, count in counts.items()))
    total = sum(counts["n"] for counts in figures.values())
    right = sum(counts.get("right", 0) for counts in figures.values())
    print(f"total {total}, right {right}, wrong {total - right}")


if __name__ == "__main__":
    main()

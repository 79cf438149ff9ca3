"""A parallel question set in the other region's wording: Taiwan's questions as a mainland
reader would write them (or the other way round).

DRCD's articles and questions are written in Taiwan; a mainland reader asks about 苏里南 and
肯尼迪 where the articles write 蘇利南 and 甘迺迪. This writes the set with every question
converted by zhconv's regional phrase tables (`zh-cn`: mainland words in Simplified script;
`zh-tw`: Taiwan words in Traditional), ids unchanged, for `citebot eval --questions`:

    .venv/bin/python benchmarks/regional_questions.py ../shared/eval/DRCD_dev.json zh-cn data/drcd-cn.json
    citebot eval ../shared/eval/DRCD_dev.json --limit 80 --questions data/drcd-cn.json --no-baseline
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import zhconv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("region", choices=["zh-cn", "zh-tw"])
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    data = json.loads(args.dataset.read_text(encoding="utf-8"))
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                qa["question"] = zhconv.convert(qa["question"], args.region)
    args.output.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

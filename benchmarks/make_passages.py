"""Build benchmarks/passages/why_how.json: why/how questions whose answers are passages.

The public sets barely ask for passages (10 of CMRC dev's 3,219 gold answers exceed 60
characters, none of DRCD dev's), so this set was written by hand over their articles: each
question below is ours, and its gold answer is 2-4 consecutive sentences of the article
(as `ingest.text.sentence_spans` splits it), copied verbatim with their exact
`answer_start`. Only the paragraph the answer is in is kept, one article per question
group. The sample articles (../shared/seeds) are not used.

    .venv/bin/python benchmarks/make_passages.py   # rewrites benchmarks/passages/why_how.json
    citebot eval benchmarks/passages/why_how.json --json

Each QUESTIONS row: (file in ../shared/eval, article index, paragraph index, first
sentence, last sentence, question). The test tests/evaluation/test_passage_set.py checks
every answer against its offset, its length (61-300 characters) and its sentence count.
"""

from __future__ import annotations

import json
from typing import Any

from common import EVAL_DIR, REPO

from ingest.text import sentence_spans

OUTPUT = REPO / "benchmarks" / "passages" / "why_how.json"

QUESTIONS: list[tuple[str, int, int, int, int, str]] = [
    # CMRC 2018 dev (Simplified)
    ("cmrc2018_dev.json", 114, 0, 10, 11, "为什么索尔维法比其他制碱方法经济得多？"),
    ("cmrc2018_dev.json", 114, 0, 8, 9, "索尔维法在高塔里是怎样制出碳酸钠的？"),
    ("cmrc2018_dev.json", 154, 0, 5, 6, "岩手宫城内陆地震的死者是怎么遇难的？"),
    ("cmrc2018_dev.json", 156, 0, 7, 8, "为什么会制作《熊猫小熊猫》这部作品？"),
    ("cmrc2018_dev.json", 156, 0, 19, 20, "动物园园长来到米米家以后发生了什么事？"),
    ("cmrc2018_dev.json", 167, 0, 9, 11, "挪威的同性婚姻法在国会是如何获得通过的？"),
    ("cmrc2018_dev.json", 190, 0, 3, 6, "齐武帝在位时为什么会出现永明之治？"),
    ("cmrc2018_dev.json", 190, 0, 8, 9, "齐武帝去世后南齐为什么走向灭亡？"),
    ("cmrc2018_dev.json", 190, 0, 21, 23, "齐武帝的检籍政策为何引发了叛乱？"),
    ("cmrc2018_dev.json", 194, 0, 10, 12, "为什么只有凤凰男而没有凤凰女的说法？"),
    ("cmrc2018_dev.json", 317, 0, 10, 12, "气体离心法是如何把铀-235浓缩起来的？"),
    ("cmrc2018_dev.json", 317, 0, 14, 15, "为什么气体离心设备要设计成能够连续运转？"),
    ("cmrc2018_dev.json", 334, 0, 17, 19, "四氟化碳为什么不会破坏臭氧层？"),
    ("cmrc2018_dev.json", 334, 0, 7, 8, "四氟化碳为何十分稳定，它会与哪些物质反应？"),
    ("cmrc2018_dev.json", 334, 0, 14, 16, "为什么说四氟化碳是一种很强的温室气体？"),
    ("cmrc2018_dev.json", 14, 0, 16, 19, "莱索托的货物为什么要转到伊利莎白港？"),
    ("cmrc2018_dev.json", 353, 0, 12, 14, "2007年全球粮食并没有减产，价格为什么还上涨？"),
    ("cmrc2018_dev.json", 353, 0, 18, 19, "全球暖化会怎样影响粮食生产？"),
    ("cmrc2018_dev.json", 410, 0, 1, 2, "逆渗透是怎样让水从咸水流向清水的？"),
    ("cmrc2018_dev.json", 410, 0, 13, 14, "半透膜实验中盐水的液面为什么会升高？"),
    ("cmrc2018_dev.json", 561, 0, 5, 7, "把带正电的物体靠近金属时，金属上的电荷会怎样变化？"),
    ("cmrc2018_dev.json", 561, 0, 10, 11, "怎样利用静电感应使物体带上电？"),
    ("cmrc2018_dev.json", 561, 0, 27, 28, "带电的物体为什么能吸引小纸片？"),
    ("cmrc2018_dev.json", 639, 0, 1, 2, "失范为什么会导致社会的不稳定？"),
    ("cmrc2018_dev.json", 639, 0, 13, 15, "造成失范的原因有哪些？"),
    ("cmrc2018_dev.json", 630, 0, 2, 3, "1851年展示的煮食气炉为何没有马上大量生产？"),
    ("cmrc2018_dev.json", 630, 0, 8, 10, "使用气炉时应该怎样避免危险？"),
    ("cmrc2018_dev.json", 771, 0, 3, 4, "为什么食品在冷冻前要漂白或添加化学物？"),
    # DRCD dev (Traditional)
    ("DRCD_dev.json", 123, 0, 6, 8, "日本為什麼決定攻擊珍珠港？"),
    ("DRCD_dev.json", 123, 0, 14, 15, "珍珠港事件為何使美國也加入了歐洲戰場？"),
    ("DRCD_dev.json", 126, 0, 5, 6, "南方各州為什麼強烈反對1828年與1832年的關稅？"),
    ("DRCD_dev.json", 126, 0, 7, 8, "南卡羅萊那州是如何對抗聯邦關稅法的？"),
    ("DRCD_dev.json", 358, 0, 2, 3, "美國為什麼在1917年向德國宣戰？"),
    ("DRCD_dev.json", 358, 0, 4, 5, "1917年法軍的春季攻勢之後發生了什麼？"),
    ("DRCD_dev.json", 62, 2, 5, 7, "宗教信仰為什麼可能降低自殺的風險？"),
    ("DRCD_dev.json", 62, 2, 11, 12, "演化心理學如何解釋自殺？"),
    ("DRCD_dev.json", 20, 10, 8, 9, "新星的爆炸是怎麼發生的？"),
    ("DRCD_dev.json", 160, 0, 3, 4, "高血壓的診斷程序為什麼發生了變化？"),
    # XQuAD en (English)
    ("xquad_en.json", 20, 0, 3, 4, "What caused the plague according to the most accepted medieval theory?"),
    ("xquad_en.json", 21, 0, 1, 2, "Why does the second timeline show the most recent eon on an expanded scale?"),
    ("xquad_en.json", 21, 0, 3, 4, "How are the third and fourth geologic timelines expanded, and why?"),
    ("xquad_en.json", 27, 0, 3, 4, "How does autoimmunity arise, and which diseases does it cause?"),
    ("xquad_en.json", 27, 2, 3, 4, "Why is the pro-inflammatory state reserved for sleep time?"),
    ("xquad_en.json", 40, 0, 1, 2, "What is a composite number, and why is 6 one while 5 is prime?"),
    ("xquad_en.json", 47, 3, 1, 2, "How can the electromagnetic force on a charge be described?"),
    ("xquad_en.json", 38, 1, 1, 2, "How much of the greenhouse effect is due to CO2, and how fast will temperatures rise?"),
    ("xquad_en.json", 33, 1, 4, 5, "Why did Perotti conclude that more equal societies grow faster?"),
]


def _passage(context: str, first: int, last: int) -> tuple[int, str]:
    spans = sentence_spans(context)
    start, end = spans[first][0], spans[last][1]
    text = context[start:end]
    stripped = text.strip()
    return start + text.index(stripped), stripped


def build() -> dict[str, Any]:
    sources: dict[str, list[dict[str, Any]]] = {}
    entries: dict[tuple[str, int, int], dict[str, Any]] = {}
    for number, (file, article, paragraph, first, last, question) in enumerate(QUESTIONS, 1):
        if file not in sources:
            sources[file] = json.loads((EVAL_DIR / file).read_text(encoding="utf-8"))["data"]
        source = sources[file][article]
        context = source["paragraphs"][paragraph]["context"]
        key = (file, article, paragraph)
        if key not in entries:
            entries[key] = {
                "title": source.get("title") or "",
                "source": f"{file} data[{article}].paragraphs[{paragraph}]",
                "paragraphs": [{"context": context, "qas": []}],
            }
        start, answer = _passage(context, first, last)
        entries[key]["paragraphs"][0]["qas"].append(
            {
                "id": f"passage-{number:02d}",
                "question": question,
                "lang": "en" if file.startswith("xquad_en") else "zh",
                "answers": [{"text": answer, "answer_start": start}],
            }
        )
    return {
        "version": "passages-1",
        "note": "why/how questions written for citebot; answers are 2-4 consecutive sentences "
        "of CMRC 2018 dev, DRCD dev and XQuAD en paragraphs (CC BY-SA); see "
        "benchmarks/make_passages.py",
        "data": list(entries.values()),
    }


def main() -> int:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    data = build()
    OUTPUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    questions = sum(len(e["paragraphs"][0]["qas"]) for e in data["data"])
    print(f"{OUTPUT.relative_to(REPO)}: {len(data['data'])} articles, {questions} questions")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

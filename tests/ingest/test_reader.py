"""Reading article files: metadata, listing pages, cleaning and encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.encodings import decode_bytes
from ingest.reader import (
    UnreadableArticle,
    read_article_file,
    read_html_article,
    read_text_articles,
)
from tests.support.settings import FIXTURES, SAMPLE_ARTICLES

MB = 1_000_000


def _sample(prefix: str) -> Path:
    return next(SAMPLE_ARTICLES.glob(f"{prefix}_*.txt"))


def test_header_file_gives_link_title_and_date() -> None:
    [article] = read_article_file(_sample("000"), MB)
    assert article.url == "https://www.36kr.com/p/3424967141690758"
    assert article.title == "OpenAIGPT-6"
    assert article.published == "2025-08-16"
    assert article.source_key == article.url
    # Header lines, the repeated heading, the date line and markdown are not article text.
    assert "> link:" not in article.text and "Published on" not in article.text
    assert "**" not in article.text and "![](" not in article.text
    assert article.text.startswith("智东西8月16日消息")


def test_plain_file_title_is_its_first_line_and_reference_link_is_not_its_url() -> None:
    [article] = read_article_file(_sample("001"), MB)
    assert article.title.startswith("OpenAI 的 AGI 之路")
    assert article.url is None  # the "参考链接" youtube link at the end is not the article's URL
    assert "youtube" not in article.text
    assert "点赞" not in article.text and "配资" not in article.text  # boilerplate tail removed


def test_listing_page_becomes_one_article_per_post() -> None:
    articles = read_article_file(_sample("002"), MB)
    assert len(articles) == 10
    first = articles[0]
    assert first.title == "揭秘 AI 黑箱:Claude 的“大脑”里在想什么?"
    assert first.published == "2025-08-18" and first.author == "fisherdaddy"
    assert all("min · fisherdaddy" not in a.text for a in articles)
    assert len({a.article_id for a in articles}) == 10
    assert len({a.source_key for a in articles}) == 10


def test_timeline_with_date_lines_heading_its_posts_keeps_every_line_with_its_date() -> None:
    path = FIXTURES / "reader" / "timeline.txt"
    articles = read_article_file(path, MB)
    stored = "\n".join(a.text for a in articles)
    for line in path.read_text("utf-8").splitlines():
        if " · " not in line:
            assert line in stored
    by_date = {a.published: a for a in articles}
    assert "The bell was named Gloria." in by_date["2021-03-02"].text
    assert by_date["2021-03-02"].title == "First release" and by_date["2021-03-02"].author == "Bob"
    assert "The mayor attended." in by_date["2020-01-05"].text
    assert by_date["2020-01-05"].title == "Project started"


def test_listing_with_a_post_that_has_no_title_is_one_article() -> None:
    text = (
        "Only a summary line\nAugust 1, 2025 · 1 min · ann\n"
        "Second post\nIts summary.\nAugust 2, 2025 · 2 min · ben\n"
    )
    [article] = read_text_articles(text, "posts.txt")
    assert "Only a summary line" in article.text and "Its summary." in article.text


def test_listing_posts_with_one_title_keep_apart_in_the_store() -> None:
    text = (
        "Weekly notes\nThe ferry was late.\nAugust 1, 2025 · 1 min · ann\n"
        "Weekly notes\nThe bridge opened.\nAugust 8, 2025 · 1 min · ann\n"
    )
    articles = read_text_articles(text, "notes.txt")
    assert [a.published for a in articles] == ["2025-08-01", "2025-08-08"]
    assert len({a.source_key for a in articles}) == 2  # one key would keep only the last


def test_traditional_article_keeps_its_script_and_drops_disclaimer_and_stock_list() -> None:
    [article] = read_article_file(_sample("004"), MB)
    assert article.title.startswith("OpenAI兩大90後")
    assert "陳信翰" in article.text
    assert "免責聲明" not in article.text and "熱議股票" not in article.text


def test_sample_folder_holds_fourteen_articles() -> None:
    total = sum(len(read_article_file(p, MB)) for p in sorted(SAMPLE_ARTICLES.iterdir()))
    assert total == 14


def test_broken_characters_are_dropped() -> None:
    [article] = read_text_articles("标题\n\n正文\ufffd有坏字符。\n", "x.txt")
    assert "\ufffd" not in article.text and "正文有坏字符。" in article.text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "gb18030", "gbk"])
def test_simplified_encodings_decode_to_the_same_text(encoding: str) -> None:
    text = _sample("000").read_text("utf-8")
    if encoding == "gbk":  # GBK has no no-break space; the rest of the article fits
        text = text.replace("\xa0", " ")
    assert decode_bytes(text.encode(encoding)) == text


def test_big5_and_utf16_without_bom_decode() -> None:
    text = "OpenAI兩大90後“臺柱子”，談模型進展、挑戰與AGI目標。陳信翰和帕喬基接受了專訪。" * 5
    assert decode_bytes(text.encode("big5")) == text
    assert decode_bytes(text.encode("utf-16-le")) == text


@pytest.mark.parametrize(
    "text",
    [
        "Die Straße führt über die Brücke zum Bahnhof. Größere Schiffe können dort nicht anlegen.\n",
        "Café naïve résumé. The café on the harbour opened in 1987.\n",
        "Le café du port a ouvert en 1987. Les pêcheurs y prenaient leur déjeuner très tôt.\n",
    ],
)
def test_latin1_text_is_not_read_as_chinese(text: str) -> None:
    """GB18030 decodes most Latin-1 bytes too (`Straße` → `Stra遝`): Windows-1252 must win."""
    assert decode_bytes(text.encode("latin-1")) == text
    assert decode_bytes(text.encode("cp1252")) == text


@pytest.mark.parametrize("encoding", ["gb18030", "big5"])
@pytest.mark.parametrize("length", [40, 400])
def test_short_chinese_legacy_text_still_decodes(encoding: str, length: int) -> None:
    text = _sample("004").read_text("utf-8")
    text = text.encode(encoding, errors="ignore").decode(encoding)[:length]
    assert decode_bytes(text.encode(encoding)) == text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        # Too short for the detector, which read these as Big5 (你好 → 斕疑).
        ("你好", "gb18030"),
        ("你好", "gbk"),
        ("GPT-5 发布了", "gb18030"),
        ("GPT-5 发布了", "gbk"),
        ("中文", "gb18030"),
        ("我们", "gbk"),
        ("请问", "gb18030"),
        ("你是谁", "gb18030"),
        ("香港", "gb18030"),
        ("你好，世界。", "gb18030"),
        ("謝謝", "gb18030"),  # Traditional characters in GB18030
        # Short Traditional text in Big5 stays Big5.
        ("你好", "big5"),
        ("你好嗎", "big5"),
        ("台灣的首都是台北", "big5"),
        ("謝謝", "big5"),
        ("香港", "big5"),
        ("你好，世界。", "big5"),
        # Longer text, both ways.
        ("灯塔的守护者是谁？", "gb18030"),
        ("GPT-5 发布了。开发者可以在 API 中使用它，价格与上一代相同。", "gb18030"),
        ("陸特和漢斯雷頓開創了哪一地區對梵語的學術研究？", "big5"),
    ],
)
def test_short_gb18030_and_big5_text_decodes_right(text: str, encoding: str) -> None:
    assert decode_bytes(text.encode(encoding)) == text


def test_binary_data_is_refused() -> None:
    with pytest.raises(UnreadableArticle, match="binary"):
        decode_bytes(bytes(range(256)) * 20)


def test_same_article_in_two_encodings_gets_one_id(tmp_path: Path) -> None:
    source = _sample("000")
    copy = tmp_path / "copy_gb18030.txt"
    copy.write_bytes(source.read_text("utf-8").encode("gb18030"))
    [a] = read_article_file(source, MB)
    [b] = read_article_file(copy, MB)
    assert a.article_id == b.article_id and a.text == b.text


def test_too_large_and_empty_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_text("字" * 2000)
    with pytest.raises(UnreadableArticle, match="too large"):
        read_article_file(big, 1000)
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"")
    with pytest.raises(UnreadableArticle, match="empty"):
        read_article_file(empty, MB)


def test_html_file_is_decoded_by_its_meta_charset() -> None:
    # Four GBK characters alone would be guessed as another legacy encoding (mojibake).
    [article] = read_article_file(FIXTURES / "reader" / "weather_gbk.html", MB)
    assert article.text == "天气预报"


def test_markdown_fixture_metadata_and_cleaning() -> None:
    [article] = read_article_file(FIXTURES / "articles" / "tea_en.md", MB)
    assert article.url == "https://example.org/blog/green-tea"
    assert article.published == "2025-03-03"
    assert "Heating stops oxidation, which keeps the leaves green." in article.text
    assert "Disclaimer" not in article.text


def test_markdown_front_matter_gives_title_link_and_date_and_is_not_article_text() -> None:
    [article] = read_article_file(FIXTURES / "reader" / "ferry_front_matter.md", MB)
    assert article.url == "https://example.org/news/ferry" == article.source_key
    assert article.title == "The harbour ferry: new timetable"
    assert article.published == "2024-03-05" and article.author == "Ann Lee"
    assert article.text == "The ferry now runs every hour, from six in the morning to midnight."
    # A rule at the top with prose under it is not front matter: the prose stays text.
    [ruled] = read_text_articles("---\nNote: the pier is closed.\n---\nUse the bridge.\n", "n.md")
    assert "Note: the pier is closed." in ruled.text and ruled.url is None


def test_html_article_metadata() -> None:
    html = """<html><head><title>Site | Lighthouse</title>
    <meta property="og:title" content="The lighthouse of the south">
    <link rel="canonical" href="https://news.example.com/lighthouse">
    <meta property="article:published_time" content="2024-05-06T08:00:00Z">
    </head><body><nav>Home | About</nav><article><h1>The lighthouse of the south</h1>
    <p>The lighthouse was built in 1868 at the southern tip of the island.</p>
    <p>It is thirty-six metres tall and was repaired in 1950 after the war.</p>
    <p>Every summer more than twenty thousand visitors climb it to watch the sunset.</p>
    </article><footer>Follow us on social media</footer></body></html>"""
    article = read_html_article(html, "lighthouse.html")
    assert article.url == "https://news.example.com/lighthouse"
    assert article.title == "The lighthouse of the south"
    assert article.published == "2024-05-06"
    assert "built in 1868" in article.text and "Home | About" not in article.text


def test_html_page_date_is_the_one_it_states_never_a_year_from_its_text() -> None:
    def page(head: str = "", lead: str = "") -> str:
        return f"""<html><head><title>The city museum</title>{head}</head><body><article>
        <h1>The city museum</h1>{lead}
        <p>The museum opened in 1911 and was expanded in 2019 with a wing for modern art.</p>
        <p>Every year more than fifty thousand visitors come to see its paintings.</p>
        </article></body></html>"""

    assert read_html_article(page(), "museum.html").published is None
    meta = '<meta property="article:published_time" content="2023-04-05T10:00:00Z">'
    assert read_html_article(page(head=meta), "museum.html").published == "2023-04-05"
    time = '<time datetime="2022-06-07">June 7, 2022</time>'
    assert read_html_article(page(lead=time), "museum.html").published == "2022-06-07"
    line = "<p>Published on March 3, 2021</p>"
    assert read_html_article(page(lead=line), "museum.html").published == "2021-03-03"


@pytest.mark.parametrize(
    ("link", "problem"),
    [
        ("javascript:alert(1)", "not an http(s) link"),
        ("data:text/html,<b>hi</b>", "not an http(s) link"),
        ("https://www.example.com@evil.example/", "user info"),
        ("http:///no-host", "no valid host name"),
        ("https://exa mple.com/", "spaces or control characters"),
        ("https://example.com/\u202egnp.exe", "spaces or control characters"),
        ("https://example.com:99999/", "malformed port"),
    ],
)
def test_a_header_link_that_is_not_a_real_web_link_is_dropped_with_a_warning(
    link: str, problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    text = f"> link: {link}\n> title: Harbour notice\n\nThe ferry now runs every hour.\n"
    with caplog.at_level("WARNING", logger="ingest.reader"):
        [article] = read_text_articles(text, "notice.md")

    assert article.url is None and article.source_key == "notice.md"
    assert article.title == "Harbour notice"
    (record,) = caplog.records
    assert "notice.md" in record.getMessage() and problem in record.getMessage()


@pytest.mark.parametrize(
    "link",
    [
        "https://www.36kr.com/p/1",
        "http://intranet:8080/a",
        "https://例子.中国/文章",
        "http://[::1]/x",
    ],
)
def test_real_web_links_are_kept(link: str) -> None:
    [article] = read_text_articles(f"> link: {link}\n\nThe ferry now runs every hour.\n", "n.md")
    assert article.url == link


@pytest.mark.parametrize(
    ("text", "title", "body"),
    [
        # The heading is the title, not a paragraph that a quote could be made of.
        (
            "# Northfield University\n\nNorthfield University is old.\n",
            "Northfield University",
            "Northfield University is old.",
        ),
        ("\n## 灯塔\n\n灯塔建于1901年。\n", "灯塔", "灯塔建于1901年。"),
        # A file of only a heading keeps it: an article is never emptied.
        ("# Only a heading\n", "Only a heading", "Only a heading"),
        # A heading after text is body text; so is one that the header's title differs from.
        ("Intro.\n\n# Part two\n\nMore.\n", "Part two", "Intro.\n\nPart two\n\nMore."),
        ("> title: Other\n\n# Part two\n\nMore.\n", "Other", "Part two\n\nMore."),
    ],
)
def test_a_heading_that_is_the_title_is_not_body_text(text: str, title: str, body: str) -> None:
    [article] = read_text_articles(text, "notes.md")
    assert (article.title, article.text) == (title, body)


def test_header_lines_under_the_opening_heading_are_the_header() -> None:
    """`# title` first, then its `> published:` lines: the date was lost and "published:
    2024-12-20" was the article's first sentence, quotable."""
    text = (
        "# 士林夜市改建完成\n\n> published: 2024-12-20\n> link: https://example.org/night\n\n"
        "士林夜市的地下美食區在十二月完工。\n\n> author: 吳美惠說，遊客回來了。\n"
    )
    [article] = read_text_articles(text, "night.md")
    assert (article.title, article.published) == ("士林夜市改建完成", "2024-12-20")
    assert article.url == "https://example.org/night"
    # Only lines right under the heading are header lines; a later blockquote is text.
    assert article.text == "士林夜市的地下美食區在十二月完工。\n\nauthor: 吳美惠說，遊客回來了。"
    assert article.author is None


def test_a_web_page_whose_first_line_repeats_its_title_is_read_without_it() -> None:
    page = (
        "<html><head><title>Northfield University</title></head><body><article>"
        "<h1>Northfield University</h1><p>Northfield University is a private research "
        "university with campuses across the river valley. It has nine colleges.</p>"
        "<p>Students read for a degree in four years at Northfield University.</p>"
        "</article></body></html>"
    )
    article = read_html_article(page, "northfield.html")
    assert article.title == "Northfield University"
    assert article.text.startswith("Northfield University is a private research university")


def test_code_fences_and_blockquote_marks_are_not_quoted_but_their_text_is() -> None:
    """A quote of "```" or "> " is markup, and its "open at this quote" link finds nothing."""
    text = (
        "# Release notes\n\nThe tool was rewritten.\n\n> He said: it is faster now.\n"
        "> > Much faster.\n\n```python\nrun(fast=True)\n```\n\nWe measured 3 > 2 and a >= b.\n"
    )
    [article] = read_text_articles(text, "notes.md")
    assert article.text == (
        "The tool was rewritten.\n\nHe said: it is faster now.\nMuch faster.\n\n"
        "run(fast=True)\n\nWe measured 3 > 2 and a >= b."
    )


_SASKI = (
    "Nearby, in Ogród Saski, the old fountain that had stood dry since the war was restored "
    "in 2009 by the city, and its water now runs every summer from May to September."
)


@pytest.mark.parametrize(
    ("first_line", "title"),
    [
        # One long sentence: its words up to a soft break, never a word cut in two.
        (
            _SASKI,
            "Nearby, in Ogród Saski, the old fountain that had stood dry since the war was "
            "restored in 2009 by the city, and its…",
        ),
        # Sentences that fit are the title, whole.
        (
            "The fountain in Ogród Saski was restored in 2009. " + _SASKI,
            "The fountain in Ogród Saski was restored in 2009.",
        ),
        (
            "萨克森花园的旧喷泉在二零零九年由市政府修复，如今每年夏天从五月到九月都有水流出来，"
            "吸引了许多游客和附近的居民前来散步和休息，孩子们在喷泉边玩耍，老人们坐在长椅上聊天，"
            "直到傍晚才慢慢离开，这里是城里最安静的地方之一，也是很多人周末最喜欢带着家人一起去的去处，"
            "无论春夏秋冬都有人来。",
            "萨克森花园的旧喷泉在二零零九年由市政府修复，如今每年夏天从五月到九月都有水流出来，"
            "吸引了许多游客和附近的居民前来散步和休息，孩子们在喷泉边玩耍，老人们坐在长椅上聊天，"
            "直到傍晚才慢慢离开，这里是城里最安静的地方之一…",
        ),
    ],
)
def test_a_long_first_line_gives_a_title_cut_at_a_soft_break_and_stays_article_text(
    first_line: str, title: str
) -> None:
    [article] = read_text_articles(f"{first_line}\n\nThe second paragraph.\n", "saski.txt")
    assert article.title == title and len(title) <= 120
    assert article.text == f"{first_line}\n\nThe second paragraph."

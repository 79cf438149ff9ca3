"""The human-readable `citebot eval` report (the `--json` object is the run's own dict)."""

from __future__ import annotations

from typing import Any

from evaluation.metrics import QUALITY_KEYS


def format_table(report: dict[str, Any]) -> str:
    """citebot beside the recipe, the per-language breakdown, then the other figures."""
    baseline = report.get("baseline") or {}
    after = report.get("after_unrelated")
    if after is not None:
        return _side_by_side(report, after, baseline)
    lines = [
        f"{report['dataset']}: {report['articles']} articles, {report['chunks']} chunks, "
        f"{report['questions']} questions"
        + (f", {report['unanswerable_questions']} unanswerable" if report["unanswerable_questions"] else ""),
        "",
        f"{'metric':<16}{'citebot':>10}{'recipe':>10}",
    ]
    for key in QUALITY_KEYS:
        theirs = f"{baseline[key]:.3f}" if key in baseline else "-"
        lines.append(f"{key:<16}{report[key]:>10.3f}{theirs:>10}")
    if report["abstain_rate"] is not None:
        lines.append(f"{'abstain_rate':<16}{report['abstain_rate']:>10.3f}{'-':>10}")
    lines += _language_lines(report)
    lines += [
        "",
        f"answered (confident): {report['answered_rate']:.3f}   errors: {report['errors']}",
        f"ask p50 {report['ask_p50_ms']} ms, p95 {report['ask_p95_ms']} ms",
        f"ingest {report['ingest_chunks_per_s']} chunks/s "
        f"({report['ingest_embedded_chunks']} embedded, {report['ingest_cached_chunks']} from cache)",
        f"peak RSS {report['peak_rss_mb']} MB, {report['eval_s']} s in all",
    ]
    return "\n".join(lines)


def _language_lines(report: dict[str, Any]) -> list[str]:
    """The breakdown by question → article language, shown when the set has more than one
    kind of question (a one-language set's only row would repeat the table above)."""
    pairs = report.get("by_language") or {}
    abstain = report.get("abstain_by_language") or {}
    if len(pairs) < 2 and len(abstain) < 2:
        return []
    lines = ["", f"{'question→article':<18}{'n':>6}{'recall@1':>10}{'hit@300':>9}"
                 f"{'hit@600':>9}{'answered':>10}"]
    for pair, row in pairs.items():
        lines.append(
            f"{pair:<18}{row['questions']:>6}{row['recall@1']:>10.3f}"
            f"{row['answer_hit@300']:>9.3f}{row['answer_hit@600']:>9.3f}"
            f"{row['answered_rate']:>10.3f}"
        )
    for lang, row in abstain.items():
        lines.append(f"abstain ({lang}){'':<7}{row['questions']:>6}{row['abstain_rate']:>10.3f}")
    return lines


def _side_by_side(report: dict[str, Any], after: dict[str, Any], baseline: dict[str, Any]) -> str:
    """`--after-unrelated`: each metric alone and after an unrelated exchange, and the
    difference (the target: within 1 point)."""
    lines = [
        f"{report['dataset']}: {report['articles']} articles, {report['questions']} questions"
        + (f", {report['unanswerable_questions']} unanswerable" if report["unanswerable_questions"] else ""),
        "",
        f"{'metric':<16}{'alone':>10}{'after-unrelated':>17}{'change':>9}{'recipe':>10}",
    ]
    keys = [*QUALITY_KEYS, "answered_rate"]
    if report["abstain_rate"] is not None:
        keys.append("abstain_rate")
    for key in keys:
        theirs = f"{baseline[key]:.3f}" if key in baseline else "-"
        change = (after[key] - report[key]) * 100
        lines.append(f"{key:<16}{report[key]:>10.3f}{after[key]:>17.3f}{change:>+8.1f}p{theirs:>10}")
    for pair, row in (report.get("by_language") or {}).items():
        if len(report.get("by_language") or {}) < 2:
            break
        other = (after.get("by_language") or {}).get(pair, {})
        lines.append(
            f"{pair + ' hit@300':<16}{row['answer_hit@300']:>10.3f}"
            f"{other.get('answer_hit@300', 0.0):>17.3f}"
            f"{(other.get('answer_hit@300', 0.0) - row['answer_hit@300']) * 100:>+8.1f}p"
        )
    lines += [
        "",
        f"ask p50 {report['ask_p50_ms']} ms alone, {after['ask_p50_ms']} ms after; "
        f"p95 {report['ask_p95_ms']} ms alone, {after['ask_p95_ms']} ms after",
        f"errors: {report['errors']} alone, {after['errors']} after; {report['eval_s']} s in all",
    ]
    return "\n".join(lines)

"""The layers' rules that `lint-imports` (import-linter, in `make test`) cannot see.

import-linter checks which modules import which (the contracts in pyproject.toml). What it
cannot check is which *names* are used: benchmarks and the evaluation are consumers of the
system and use only its public names, so that nobody outside a module depends on its
underscore-prefixed helpers, or on another library's.
"""

from __future__ import annotations

import ast
from pathlib import Path

from ingest.models import Article, Chunk
from ingest.store._layout import chunk_metadata, source_metadata
from tests.support.settings import REPO

PROJECT_PACKAGES = {"bot", "config", "evaluation", "ingest", "retrieval"}
CONSUMERS = [*sorted((REPO / "benchmarks").glob("*.py")), *sorted((REPO / "evaluation").rglob("*.py"))]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_names_used(path: Path, own_package: str) -> list[str]:
    """`from pkg.mod import _name` of another package, and `obj._name` on anything but
    `self`/`cls`, as `file:line: what`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            package = node.module.split(".")[0]
            if package in PROJECT_PACKAGES and package != own_package:
                found += [f"{path.name}:{node.lineno}: from {node.module} import {a.name}"
                          for a in node.names if _private(a.name)]
        elif (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_benchmarks_and_evaluation_use_only_public_names() -> None:
    assert CONSUMERS, "no benchmarks or evaluation modules found"
    used = [
        hit
        for path in CONSUMERS
        for hit in private_names_used(path, path.relative_to(REPO).parts[0])
    ]
    assert used == []


def test_the_check_sees_a_private_import_and_a_private_attribute(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from ingest.store import _chunk_metadata\n"
        "from evaluation.metrics import _own_helper\n"
        "answerer._condense('q')\n"
        "self._ok = 1\n",
        encoding="utf-8",
    )
    assert private_names_used(probe, "evaluation") == [
        "probe.py:1: from ingest.store import _chunk_metadata",
        "probe.py:3: answerer._condense",
    ]


def metadata_fields_named(path: Path, fields: set[str]) -> list[str]:
    """String constants of a module that are metadata field names, as `file:line: 'name'`
    (docstrings aside: they may speak of a field)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in fields and id(node) not in docstrings
    ]


def test_the_sources_rule_reads_records_through_the_layout_only() -> None:
    """`ingest/store/_layout.py` names the store's metadata fields; the rule of which source
    holds which article (`_sources.py`) reads them through its functions."""
    article = Article("a1", "Title", "Text.", "a.md", "a.md")
    chunk = Chunk("c1", "a1", 0, "Text.", 0, 5)
    fields = {*source_metadata(article), *chunk_metadata(article, chunk)}
    assert metadata_fields_named(REPO / "ingest" / "store" / "_sources.py", fields) == []


def test_the_field_check_sees_a_field_named_outside_a_docstring(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text('"""Reads "source"."""\nKEY = "source_key"\n', encoding="utf-8")
    assert metadata_fields_named(probe, {"source", "source_key"}) == ["probe.py:2: 'source_key'"]

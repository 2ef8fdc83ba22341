"""Every ```python block in docs/*.md runs (blocks of one page share a namespace, in order)."""

import os
import re
from pathlib import Path

import pytest

from openkeras.compat import uninstall_keras_alias

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_NOT_RUN = re.compile(r"<!-- not run: (.+?) -->\s*$")


def python_blocks(text):
    """``(line, code, skip_reason)`` of each python block of a Markdown text."""
    blocks = []
    for match in _BLOCK.finditer(text):
        before = text[:match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        reason = _NOT_RUN.match(before)
        line = text.count("\n", 0, match.start()) + 2
        blocks.append((line, match.group(1), reason.group(1) if reason else None))
    return blocks


def test_block_extraction():
    text = ("x\n```python\na = 1\n```\n<!-- not run: needs 2 GPUs -->\n```python\nb\n```\n"
            "```\nshell\n```\n")
    assert python_blocks(text) == [(3, "a = 1\n", None), (7, "b\n", "needs 2 GPUs")]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_python_blocks_run(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files the samples write land in tmp_path
    monkeypatch.setenv("OPENKERAS_HOME", str(tmp_path))
    namespace = {"__name__": "__docs__"}
    ran = 0
    try:
        for line, code, skip in python_blocks(page.read_text()):
            if skip is None:
                exec(compile(code, f"{page}:{line}", "exec"), namespace)  # a failing sample raises
                ran += 1
    finally:
        uninstall_keras_alias()
    assert ran > 0, f"{page.name} has no runnable python example"


def test_few_blocks_are_not_run():
    blocks = [b for page in PAGES for b in python_blocks(page.read_text())]
    skipped = [b for b in blocks if b[2] is not None]
    assert len(blocks) >= 20 and len(skipped) <= 3


def test_every_page_is_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    linked = set(re.findall(r"\]\((docs/[^)]+\.md)\)", section))
    assert linked == {f"docs/{p.name}" for p in PAGES}
    assert all(os.path.exists(ROOT / link) for link in linked)

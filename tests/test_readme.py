"""The README's Python blocks run as written, so the README never lies."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_examples():
    assert BLOCKS


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_block_runs(index, tmp_path, monkeypatch):
    # A reader runs the blocks in order in one session, from their own folder.
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for number, block in enumerate(BLOCKS[:index + 1]):
        exec(compile(block, f"README.md block {number}", "exec"), namespace)

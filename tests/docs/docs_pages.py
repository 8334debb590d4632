"""Running a docs page's recipes as written: its Python blocks in order in
one namespace, its ``$ sktagembed ...`` console lines as commands."""

import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^\.\. code-block:: (\w+)\n\n((?:   .*\n|\n)+)", re.M)


def page_blocks(page: str) -> list[tuple[str, str]]:
    """``(language, code)`` of every code block of ``docs/<page>.rst``."""
    return [(language, textwrap.dedent(body))
            for language, body in BLOCK.findall((DOCS / f"{page}.rst").read_text())]


def run_command(line: str, folder: Path) -> None:
    words = shlex.split(line)
    if words[:2] == ["pip", "install"]:
        return  # the extras are installed in the test environment
    assert words[0] == "sktagembed", line
    subprocess.run([sys.executable, "-m", "sktagembed", *words[1:]],
                   cwd=folder, check=True, timeout=300)


def run_page(page: str, folder: Path) -> dict:
    """Run the page's blocks from ``folder`` (the current directory); return
    the Python namespace."""
    namespace = {}
    for number, (language, body) in enumerate(page_blocks(page)):
        if language == "python":
            exec(compile(body, f"{page}.rst block {number}", "exec"), namespace)
        else:
            for line in body.splitlines():
                if line.startswith("$ "):
                    run_command(line[2:].split("#")[0], folder)
    return namespace

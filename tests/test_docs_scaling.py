"""The "Scaling out" page's recipes run as written, in order, at their small
sizes: its Python blocks in one namespace, its console lines as commands."""

import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("distributed")
pytest.importorskip("accelerate")

PAGE = Path(__file__).resolve().parents[1] / "docs" / "scaling.rst"
BLOCK = re.compile(r"^\.\. code-block:: (\w+)\n\n((?:   .*\n|\n)+)", re.M)


def blocks():
    return [(language, textwrap.dedent(body))
            for language, body in BLOCK.findall(PAGE.read_text())]


def test_page_has_all_three_recipes():
    python = [body for language, body in blocks() if language == "python"]
    assert any("parallel_config(backend=\"dask\")" in body for body in python)
    assert any("map_partitions" in body for body in python)
    assert any("accelerate=True" in body for body in python)
    assert any("--chunk-size" in body for _, body in blocks())


def run_command(line: str, folder: Path) -> None:
    words = shlex.split(line)
    if words[:2] == ["pip", "install"]:
        return  # the extras are installed in the test environment
    assert words[0] == "sktagembed", line
    subprocess.run([sys.executable, "-m", "sktagembed", *words[1:]],
                   cwd=folder, check=True, timeout=300)


# Dask's Parquet writer still passes inplace=True to pandas (dask 2026.8).
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame")
def test_recipes_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {}
    for number, (language, body) in enumerate(blocks()):
        if language == "python":
            exec(compile(body, f"scaling.rst block {number}", "exec"), namespace)
        else:
            for line in body.splitlines():
                if line.startswith("$ "):
                    run_command(line[2:].split("#")[0], tmp_path)

    search = namespace["search"]
    assert search.best_params_["tagembeddingtransformer__method"] in {
        "sum", "linear", "mlp"}
    embedded = pd.read_parquet(tmp_path / "embedded")
    assert len(embedded) == 300
    assert embedded.filter(like="linear").notna().all().all()
    again = pd.read_parquet(tmp_path / "again.parquet")
    cli_first = pd.read_parquet(tmp_path / "embedded.parquet")
    pd.testing.assert_frame_equal(again, cli_first)
    assert (tmp_path / "timexer.joblib").exists()

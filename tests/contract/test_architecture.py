"""Promises about the package's structure that a refactoring could break."""

import ast
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor

PACKAGE = Path(__file__).resolve().parents[2] / "sktagembed"
FRAMEWORKS = {"pandas", "sklearn", "skorch"}


def imported_modules(path: Path, package_root: Path = PACKAGE) -> set[str]:
    """Absolute names of what a module imports at any level of its code."""
    parts = path.relative_to(package_root.parent).with_suffix("").parts[:-1]
    package = ".".join(parts)
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if (
                    node.level > 1) else package
                base = f"{parent}.{base}" if base else parent
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def module_path(name: str, package_root: Path = PACKAGE) -> Path | None:
    relative = Path(*name.split(".")[1:])
    for candidate in (package_root / relative.with_suffix(".py"),
                      package_root / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def reached_from(start: list[Path], package_root: Path = PACKAGE):
    """The top-level packages that ``start`` imports, through the package's
    own modules it reaches (not through the package's top ``__init__``),
    and the package's files it reaches."""
    own = package_root.name + "."
    seen, todo, reached = set(), sorted(start), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_modules(path, package_root):
            reached.add(name.split(".")[0])
            if name.startswith(own) and (found := module_path(name, package_root)):
                if found.name != "__init__.py" or found.parent != package_root:
                    todo.append(found)
    return reached, seen


def test_torch_modules_know_nothing_of_pandas_or_scikit_learn():
    # Everything sktagembed.nn reaches, through its own modules and those of
    # the package it imports, stays clear of the data-frame frameworks.
    reached, seen = reached_from(list(PACKAGE.glob("nn/*.py")))
    assert not reached & FRAMEWORKS, sorted(reached & FRAMEWORKS)
    assert PACKAGE / "_utils" / "checks.py" not in seen


def test_the_import_checker_finds_a_forbidden_import(tmp_path):
    # A positive control: a module tree where nn reaches pandas two relative
    # imports away, and sklearn in a function body, is flagged.
    root = tmp_path / "sktagembed"
    for folder, files in {
        "": {"__init__.py": "import skorch\n"},  # the top is not followed
        "nn": {"__init__.py": "", "layer.py": "from .._utils import helper\n",
               "other.py": "def f():\n    import sklearn.metrics\n"},
        "_utils": {"__init__.py": "",
                   "helper.py": "from . import frames\n",
                   "frames.py": "import pandas as pd\n"},
    }.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (root / folder / name).write_text(text)
    reached, seen = reached_from(list(root.glob("nn/*.py")), root)
    assert reached & FRAMEWORKS == {"pandas", "sklearn"}
    assert root / "_utils" / "frames.py" in seen
    assert root / "__init__.py" not in seen


@pytest.mark.parametrize("kind", ["transformer", "timexer"])
def test_a_pickled_estimator_holds_no_training_data(kind):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(1, 2, size=(500, 6)), columns=list("abcdef"))
    if kind == "timexer":
        model = TimeXerRegressor(lookback=8, patch_len=4, d_model=8, n_heads=2,
                                 d_ff=8, max_epochs=1, random_state=0)
        model.fit(X, X["f"].to_numpy())
    else:
        model = TagEmbeddingTransformer("sum", 4, weighted=True, max_epochs=1,
                                        random_state=0).fit(X)
    blob = pickle.dumps(model)
    # No training row (random values, 24 or 48 bytes) is in the pickle, in
    # either precision, whichever subset or order training kept it in.
    for dtype in (np.float32, np.float64):
        rows = X.to_numpy(dtype)
        assert not [i for i in range(len(rows)) if rows[i].tobytes() in blob]


def test_the_readme_architecture_map_names_every_module():
    import fnmatch
    import re

    readme = (PACKAGE.parent / "README.md").read_text()
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line.split("|")[1] for line in section.splitlines()
                      if line.startswith("| `"))
    listed = set(re.findall(r"`([\w*/]+\.py|[\w/]+/)`", table))
    # Modules of the package's own subpackages (nn/ and datasets/ are listed
    # as a whole), and every subpackage as a folder.
    present = {path.relative_to(PACKAGE).as_posix()
               for path in PACKAGE.rglob("*.py")
               if path.name not in ("__main__.py", "__init__.py")
               and path.parent.name not in ("nn", "datasets")}
    present.add("__init__.py")
    present |= {f"{path.relative_to(PACKAGE).as_posix()}/"
                for path in PACKAGE.rglob("*")
                if path.is_dir() and (path / "__init__.py").exists()}
    covered = {name for name in present
               if any(fnmatch.fnmatch(name, pattern) for pattern in listed)}
    assert covered == present, sorted(present - covered)
    assert all(any(fnmatch.fnmatch(name, pattern) for name in present)
               for pattern in listed), "the map names a module that is gone"

"""Sphinx configuration for the sktagembed documentation."""

import sktagembed

project = "sktagembed"
author = "The sktagembed developers"
release = sktagembed.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
# Every numpydoc check but those scikit-learn and skrub leave out too (see
# tests/docs/test_docstrings.py, which runs the same checks as a test).
numpydoc_validation_checks = {
    "all", "SA01", "EX01", "ES01", "GL08", "RT01", "RT02", "YD01", "SS05",
    "SS06", "GL01", "GL02",
}
# nn.TimeXer's and its forward's parameters still lack descriptions.
numpydoc_validation_exclude = {r"^sktagembed\.nn\.TimeXer(\.forward)?$"}
exclude_patterns = ["_build"]
templates_path = ["_templates"]
html_theme = "alabaster"
nitpicky = False

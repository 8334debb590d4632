"""The ``sktagembed`` command line: the parser and one module per sub-command."""

from ._main import main

__all__ = ["main"]

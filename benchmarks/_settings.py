"""``--set KEY=VALUE``: the one way the benchmark scripts take
``TimeXerRegressor`` parameters from the command line."""

from __future__ import annotations

import argparse
from ast import literal_eval

from sktagembed import TimeXerRegressor


def add_set_argument(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                        help=help)


def parsed_settings(parser: argparse.ArgumentParser, items: list[str]) -> dict:
    """``KEY=VALUE`` items as a dict: each value a Python literal (``False``,
    ``0.1``, ``[0.1, 0.9]``) or else its text (``cosine``); a key that is not
    a ``TimeXerRegressor`` parameter is a usage error."""
    settings = {}
    for item in items:
        key, _, text = item.partition("=")
        try:
            settings[key] = literal_eval(text)
        except (ValueError, SyntaxError):
            settings[key] = text
    unknown = sorted(set(settings) - set(TimeXerRegressor().get_params()))
    if unknown:
        parser.error(f"--set: not TimeXerRegressor parameters: {unknown}")
    return settings

"""Run the property-based tests of bad input with many examples.

``tests/contract/test_fuzz.py`` runs under the hypothesis profile named by
``SKTAGEMBED_HYPOTHESIS_PROFILE``: ``ci`` (the default, a few derandomized
examples per test) in the test suite, ``long`` (500 per test) here. The script
runs pytest with ``--hypothesis-show-statistics`` and prints, per test, how
many examples were tried and how they ended (``worked``, ``rejected: ...``,
see the events in the test file).

Run ``python benchmarks/fuzz_long.py`` from the repository root; extra
arguments go to pytest (``-k sparse``, ``-x``). ``--profile ci`` counts the
examples of the CI run instead.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

PHASES = ("reuse", "generate")  # shrinking retries failures: not counted


def parse_statistics(output: str) -> dict[str, dict]:
    """Examples per test (reuse and generate phases) and their events."""
    tests: dict[str, dict] = {}
    test = phase = None
    for line in output.splitlines():
        if m := re.match(r"^(\S+::\S+):$", line):
            test = tests.setdefault(m[1], {"examples": 0, "invalid": 0,
                                           "events": {}})
        elif m := re.match(r"^\s+- during (\w+) phase", line):
            phase = m[1]
        elif test is not None and phase in PHASES and (m := re.search(
                r"(\d+) passing examples?, (\d+) failing examples?, (\d+) "
                r"invalid examples?", line)):
            passing, failing, invalid = map(int, m.groups())
            test["examples"] += passing + failing
            test["invalid"] += invalid
            test["total"] = passing + failing + invalid
        elif test is not None and phase == "generate" and (
                m := re.match(r"^\s+\* ([\d.]+)%, (.*)$", line)):
            if not m[2].startswith(("Retried draw", "invalid because")):
                test["events"][m[2]] = round(float(m[1]) * test["total"] / 100)
    return tests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="long", choices=["ci", "long"])
    args, pytest_args = parser.parse_known_args()
    env = {**os.environ, "SKTAGEMBED_HYPOTHESIS_PROFILE": args.profile}
    command = [sys.executable, "-m", "pytest", "tests/contract/test_fuzz.py", "-q",
               "-p", "no:cacheprovider", "--hypothesis-show-statistics",
               *pytest_args]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    print(result.stdout.strip().splitlines()[-1] if result.stdout else "")
    print(f"profile {args.profile!r}, {seconds:.0f} s\n")
    print(f"{'test':60} {'examples':>8} {'invalid':>8}  outcomes")
    for name, test in parse_statistics(result.stdout).items():
        outcomes = ", ".join(f"{event} {n}" for event, n in test["events"].items())
        print(f"{name.split('::')[-1]:60} {test['examples']:8d} "
              f"{test['invalid']:8d}  {outcomes}")
    if result.returncode:
        print(result.stdout[-4000:], result.stderr[-2000:], sep="\n")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())

"""Settings shared by the whole test suite."""

import os

import pytest
import torch
from hypothesis import HealthCheck, settings


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    # The test models are tiny: intra-op threads only add synchronisation, and
    # on a CPU shared with another process they make each step stall.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# Hypothesis profiles of tests/contract/test_fuzz.py, picked by
# SKTAGEMBED_HYPOTHESIS_PROFILE: "ci" (default) is small and derandomized, so
# every run tries the same examples; "long" is for benchmarks/fuzz_long.py.
settings.register_profile(
    "ci", max_examples=25, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long", max_examples=500, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("SKTAGEMBED_HYPOTHESIS_PROFILE", "ci"))

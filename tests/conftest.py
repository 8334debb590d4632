"""Settings shared by the whole test suite."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    # The test models are tiny: intra-op threads only add synchronisation, and
    # on a CPU shared with another process they make each step stall.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

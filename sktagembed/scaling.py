"""Running sktagembed on a Dask cluster.

This module needs the ``dask`` extra (``pip install "sktagembed[dask]"``);
``import sktagembed`` never imports it, nor Dask.

The estimators need no special code to run on Dask workers: they pickle, and
``device="auto"`` is resolved when ``fit`` runs, on the worker. What a
cluster does need is a torch thread count per worker: torch starts one
intra-op thread per core in every worker process, so two workers on a 2-core
machine would each run two threads and slow each other down.
:class:`TorchThreads` sets the count on every worker, including workers that
join later.
"""

from __future__ import annotations

import torch

from ._utils.optional import import_optional
from ._utils.params import check_int

WorkerPlugin = import_optional("distributed", "sktagembed.scaling").WorkerPlugin

__all__ = ["TorchThreads"]


class TorchThreads(WorkerPlugin):
    """Set torch's intra-op thread count on every Dask worker.

    ``torch.set_num_threads`` applies to a whole worker process, whose
    ``nthreads`` task threads share it. Give each process its share of the
    cores: ``n_threads = cores per worker // threads per worker``. Dask's
    nanny already starts worker processes with ``OMP_NUM_THREADS=1``; set the
    plugin when that is not what you want (one worker per many-core machine)
    or when workers are started without a nanny.

    Parameters
    ----------
    n_threads : int
        Torch intra-op threads per worker process.

    Examples
    --------
    >>> import torch
    >>> from distributed import Client, LocalCluster
    >>> from sktagembed.scaling import TorchThreads
    >>> with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
    ...                   dashboard_address=None) as cluster, \\
    ...         Client(cluster) as client:
    ...     _ = client.register_plugin(TorchThreads(1))
    ...     threads = client.run(torch.get_num_threads)
    >>> sorted(set(threads.values()))
    [1]
    """

    name = "sktagembed-torch-threads"

    def __init__(self, n_threads: int):
        check_int(n_threads, "n_threads")
        self.n_threads = n_threads

    def setup(self, worker) -> None:
        torch.set_num_threads(self.n_threads)

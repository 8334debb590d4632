"""What a fitted estimator remembers about where it was fitted, and what it
checks when it is loaded again."""

from __future__ import annotations

import warnings

import sklearn
import skorch
import torch

from ..exceptions import VersionMismatchWarning


def library_versions() -> dict[str, str]:
    """Versions of sktagembed and of the libraries a fitted model depends on."""
    from .. import __version__

    return {
        "sktagembed": __version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
    }


class PersistenceMixin:
    """Records the library versions at fit time (``fitted_versions_``) and,
    on unpickling, warns when sktagembed's version differs and keeps
    ``device_`` true to where the net now lives (a CUDA-trained net is mapped
    to the CPU on a machine without CUDA)."""

    def _record_fitted_versions(self) -> None:
        self.fitted_versions_ = library_versions()

    def __setstate__(self, state: dict) -> None:
        saved = (state.get("fitted_versions_") or {}).get("sktagembed")
        current = library_versions()["sktagembed"]
        if saved is not None and saved != current:
            warnings.warn(
                VersionMismatchWarning(
                    f"This {type(self).__name__} was fitted with sktagembed "
                    f"{saved} and is being loaded with sktagembed {current}; it "
                    "may not behave the same. Refit it, or share learned tag "
                    "tables with export_embeddings instead of pickles.",
                    saved_version=saved,
                    current_version=current,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)
        net = getattr(self, "net_", None)
        if net is not None and hasattr(self, "device_"):
            self.device_ = str(net.device)

"""Bundled real data and generators of tagged data with a known truth."""

from ._appliances import load_appliances_energy
from ._etth1 import load_etth1
from ._sensors import make_tagged_sensors

__all__ = ["load_appliances_energy", "load_etth1", "make_tagged_sensors"]

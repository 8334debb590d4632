"""Forecasting with tag-aware TimeXer.

:class:`TimeXerRegressor` and what only it uses: the column layout of a
time-series table, windows, series, targets, losses, the calendar and forecast
frames, the model's tag tables and tag importance.
"""

from ._forecast_frame import make_forecast_frame
from ._regressor import TimeXerRegressor
from ._time_index import fill_time_gaps

__all__ = ["TimeXerRegressor", "fill_time_gaps", "make_forecast_frame"]

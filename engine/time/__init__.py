"""Time: the one clock, the city's working days, timer due times and the executor that fires them.

Nothing reads the wall clock but :mod:`engine.time.clock`, so tests move time and replay sees the
recorded times. :mod:`engine.time.calendar` counts working days (weekends, Vietnamese holidays,
configured swaps); :mod:`engine.time.timers` reads due times out of a workflow;
:class:`TimerExecutor` wakes the cases whose timers are due; :mod:`engine.time.spiff_patches`
holds every change made to SpiffWorkflow, applied once at start-up.
"""
from engine.time import calendar, clock, spiff_patches, timers
from engine.time.calendar import BusinessCalendar, CalendarFileError
from engine.time.clock import CITY_ZONE, Clock, ManualClock
from engine.time.executor import CycleStart, TimerExecutor

__all__ = ["calendar", "clock", "spiff_patches", "timers", "BusinessCalendar", "CalendarFileError", "CITY_ZONE",
           "Clock", "ManualClock", "CycleStart", "TimerExecutor"]

"""Time as a value passed in: a `Clock` is any zero-argument callable returning epoch seconds.

Pure cores take `now`; services take a Clock so tests can step time instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]

system_clock: Clock = time.time

"""Moved to :mod:`desist.domain.dates` (a domain rule); kept so existing imports work."""

from desist.domain.dates import TOLERANCE_DAYS, check_happened

__all__ = ["TOLERANCE_DAYS", "check_happened"]

"""The unit of work the services take: re-exported from :mod:`desist.adapters.unit_of_work`."""

from desist.adapters.unit_of_work import UnitOfWork, to_domain_error

__all__ = ["UnitOfWork", "to_domain_error"]

"""Settings for the whole test suite.

Under CI (``CI`` set) Hypothesis draws the same examples every run (``derandomize``): a property test that
passed on the commit keeps passing on it, and a failure found while developing is fixed by a test with its
own ``@example``, not discovered at random by the landing run.
"""

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with its cheapest parameters in this process (the real ones cost ~0.1 s per hash).

    Subprocesses (the CLI tests) hash with the real parameters; ``test_users`` checks the rehash from one
    set of parameters to the other.
    """
    from argon2 import PasswordHasher

    from desist.adapters import credentials

    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(credentials, "_hasher", lambda: cheap)

"""Ids beyond the 32-bit id columns: one line on both backends, from the CLI and from the services."""

from __future__ import annotations

import pytest

from desist.domain.errors import InputError, NotFound
from desist.services import referrals as rs
from tests.cli import CASEWORK, run_cli, seed_user


@pytest.mark.parametrize(
    "argv",
    [
        ["referral", "show", "2147483648"],
        ["referral", "move", "9223372036854775807", "--to", "WITHDRAWN"],
        ["group", "show", "2147483648"],
    ],
)
def test_cli_refuses_ids_beyond_the_column_in_one_line(database_url, capsys, argv):
    code, out, err = run_cli([*argv, "--db", database_url], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "2147483647" in err.replace(",", ""), err
    assert "internal error" not in err


def test_a_huge_person_id_is_not_found(database_url, capsys):
    seed_user(database_url, "tester", *CASEWORK)
    argv = ["referral", "list", "--person", "#2147483648", "--db", database_url, "--as", "tester"]
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and "not found" in err and err.count("\n") == 1


def test_services_say_too_large_in_one_line(uow_factory):
    with pytest.raises((InputError, NotFound)) as caught:
        rs.show_referral(uow_factory("reader"), 2**40)
    assert "\n" not in str(caught.value)

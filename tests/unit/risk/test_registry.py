"""One registry of risk tools: the command line offers exactly its tools, and unknown names are one line."""

from __future__ import annotations

import pytest

from desist.domain.errors import InputError
from desist.domain.risk.registry import TOOLS, get_tool, has_osp_inputs
from desist.entrypoints.cli.risk import Tool


def test_cli_choices_are_the_registry() -> None:
    # the CLI keeps its own enum so start-up imports no tool module; it must list the same tools
    assert [t.value for t in Tool] == list(TOOLS)


def test_unknown_tool_is_one_line() -> None:
    assert get_tool(" OSP ").name == "osp"
    with pytest.raises(
        InputError, match="tool 'oasys': unknown, expected one of osp, static99r, rm2000, pni"
    ):
        get_tool("oasys")


def test_osp_inputs_are_any_sanction_count() -> None:
    assert has_osp_inputs({"indecent_image_sanctions": 0})
    assert not has_osp_inputs({"contact_adult_sanctions": None, "paraphilia_sanctions": ""})

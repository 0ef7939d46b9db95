"""Write a generated population as the five import files (``desist import`` layout, CSV).

Assessments carry their inputs as a JSON object per row (the ``inputs`` column): each man has an OSP row
(scored on import by desist's OSP) and a PNI row (the OASys need items, OGRS3/OVP and his OSP bands).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from desist.synth.names import synthetic_names
from desist.synth.population import ESTABLISHMENTS, PNI_ITEMS, REGIONS

OSP_FIELDS = (
    "age",
    "contact_adult_sanctions",
    "contact_child_sanctions",
    "paraphilia_sanctions",
    "indecent_image_sanctions",
    "total_sanctions",
    "age_at_last_sexual_offence",
    "stranger_victim",
    "in_custody",
    "offence_in_last_5_years",
    "sexual_offence_in_last_5_years",
)
KIND_FILES = (
    ("people", "people.csv"),
    ("sentences", "sentences.csv"),
    ("assessments", "assessments.csv"),
    ("programme-history", "programme-history.csv"),
    ("outcomes", "outcomes.csv"),
)


def _day(values: pd.Series | np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(values)).dt.strftime("%Y-%m-%d")


def _json_rows(frame: pd.DataFrame) -> list[str]:
    records = frame.to_dict("records")
    return [json.dumps({k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()}) for r in records]


def import_tables(
    pop: object, end_of_data: str | dt.date, held_at: Mapping[str, str] | None = None
) -> dict[str, pd.DataFrame]:
    """The population as import-layout frames, keyed by import kind.

    ``held_at`` places some men (prison number -> establishment) instead of the random draw: the demo's
    Kaizen candidates are held at the prison that runs the group, whose staff refer them.
    """
    men: pd.DataFrame = pop.men  # type: ignore[attr-defined]
    n = len(men)
    in_custody = men["release_date"] > pd.Timestamp(end_of_data)
    rng = np.random.default_rng(0)  # where each man is held: cosmetic, so a fixed stream
    given, family = synthetic_names(n)
    people = pd.DataFrame(
        {
            "prison_number": men["prison_number"],
            "given_name": given,
            "family_name": family,
            "date_of_birth": _day(men["date_of_birth"]),
            "sex": "M",
            "establishment": np.where(in_custody, rng.choice(ESTABLISHMENTS, n), ""),
            "probation_region": np.where(in_custody, "", rng.choice(REGIONS, n)),
            "maintains_innocence": np.where(men["maintains_innocence"], "true", "false"),
            "ldc": np.where(men["ldc"], "true", "false"),
        }
    )
    if held_at:
        placed = people["prison_number"].map(dict(held_at))
        people.loc[placed.notna(), "establishment"] = placed[placed.notna()]
        people.loc[placed.notna(), "probation_region"] = ""
    sentences = pd.DataFrame(
        {
            "prison_number": men["prison_number"],
            "start_date": _day(men["custody_start"]),
            "release_date": _day(men["release_date"]),
            "licence_end_date": _day(men["licence_end_date"]),
            "custodial": "true",
            "index_offence": men["index_offence"],
        }
    )
    osp = men[list(OSP_FIELDS)].copy()
    pni = men[list(PNI_ITEMS) + ["ogrs3", "ovp"]].copy()
    pni["osp_dc_band"] = men["osp_dc_band"].str.upper()
    pni["osp_iic_band"] = men["osp_iic_band"].str.upper()
    day = _day(men["assessed_on"])
    assessments = pd.concat(
        [
            pd.DataFrame(
                {
                    "prison_number": men["prison_number"],
                    "assessed_on": day,
                    "tool": "osp",
                    "inputs": _json_rows(osp),
                }
            ),
            pd.DataFrame(
                {
                    "prison_number": men["prison_number"],
                    "assessed_on": day,
                    "tool": "pni",
                    "inputs": _json_rows(pni),
                }
            ),
        ],
        ignore_index=True,
    )
    hist = pop.history.copy()  # type: ignore[attr-defined]
    hist["started_on"] = _day(hist["started_on"])
    hist["ended_on"] = _day(hist["ended_on"])
    hist["targets_met"] = np.where(hist["targets_met"], "true", "false")
    hist["source"] = "pre_system"
    out = pop.outcomes.copy()  # type: ignore[attr-defined]
    out["offence_date"] = _day(out["offence_date"])
    out["proven_date"] = _day(out["proven_date"])
    return {
        "people": people,
        "sentences": sentences,
        "assessments": assessments,
        "programme-history": hist,
        "outcomes": out,
    }


def write_import_files(
    pop: object,
    end_of_data: str | dt.date,
    folder: Path,
    protect: Iterable[Path] = (),
    held_at: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write the five import files into ``folder``; returns ``{kind: path}`` in import order.

    Files of the same name are replaced (the demo's rule for its own output folder), each whole or not at
    all, and never when the name is, or leads to, one of ``protect`` (the demo database) or any database.
    """
    from desist.adapters import files, spreadsheet

    folder.mkdir(parents=True, exist_ok=True)
    tables = import_tables(pop, end_of_data, held_at)
    guarded = list(protect)
    paths = {}
    for kind, name in KIND_FILES:
        path = folder / name
        table = tables[kind]
        write = lambda tmp, t=table: spreadsheet.frame_to_csv(t, tmp)  # noqa: E731
        files.write_with(path, write, protect=guarded, force=True)
        paths[kind] = path
    return paths

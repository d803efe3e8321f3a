"""Germany's official keys for a municipality: the federal state, the ARS and the AGS.

The regional key (ARS, 12 digits) is state (2) · government district (1) · district (2) · municipal
association (4) · municipality (3); the municipality key (AGS, 8 digits) leaves out the association:
AGS = ARS[0:5] + ARS[9:12]. The first two digits name the state.
"""

from __future__ import annotations

from typing import Literal

FederalState = Literal["SH", "HH", "NI", "HB", "NW", "HE", "RP", "BW", "BY", "SL", "BE", "BB", "MV", "SN", "ST", "TH"]

STATE_BY_KEY: dict[str, str] = {
    "01": "SH",
    "02": "HH",
    "03": "NI",
    "04": "HB",
    "05": "NW",
    "06": "HE",
    "07": "RP",
    "08": "BW",
    "09": "BY",
    "10": "SL",
    "11": "BE",
    "12": "BB",
    "13": "MV",
    "14": "SN",
    "15": "ST",
    "16": "TH",
}


def key_problems(*, ars: str, ags: str, state: str) -> list[tuple[str, str]]:
    """What is inconsistent between the keys and the state, as (field, reason) pairs; empty when they agree."""
    problems: list[tuple[str, str]] = []
    ars_state = STATE_BY_KEY.get(ars[:2])
    if ars_state is None:
        problems.append(("ars", f"{ars[:2]} is no state's key (01–16)"))
    elif ars_state != state:
        problems.append(("ars", f"the ARS belongs to {ars_state}, not to {state}"))
    if ags != ars[:5] + ars[9:]:
        problems.append(("ags", f"the AGS must be the ARS without its association digits: {ars[:5] + ars[9:]}"))
    return problems

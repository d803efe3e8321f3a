from __future__ import annotations

from kit.errors import UnprocessableContent, field_error


class CallerUnidentified(UnprocessableContent):
    def __init__(self) -> None:
        detail = "give the caller's phone number or e-mail address (or both)"
        super().__init__(
            "Whose data is meant: " + detail + ".",
            errors=[field_error("phone", detail), field_error("email", detail)],
        )

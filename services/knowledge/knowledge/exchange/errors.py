from typing import ClassVar

from kit.errors import Conflict, ProblemError, UnprocessableContent
from knowledge.exchange.xml import XmlError


def _element_error(error: XmlError) -> dict[str, object]:
    """One entry of a problem's ``errors``: the element's path (as ``field``) and its line in the file."""
    return {"field": error.path, "in": "body", "line": error.line, "detail": error.detail}


class TransferInvalid(UnprocessableContent):
    """The file is no readable XZuFi transfer, or breaks a rule of the knowledge model: 422 naming the element."""

    def __init__(self, error: XmlError) -> None:
        super().__init__(str(error), errors=[_element_error(error)])


class TransferConflict(Conflict):
    """An object of the file collides with what the municipality keeps by hand (a LeiKa key, an office name)."""

    def __init__(self, error: XmlError) -> None:
        super().__init__(str(error), errors=[_element_error(error)])


class UnsupportedMediaType(ProblemError):
    status: ClassVar[int] = 415

    def __init__(self) -> None:
        super().__init__("Send the XZuFi transfer as application/xml.")

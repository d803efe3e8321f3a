from kit.errors import Conflict, ConflictingField, Forbidden, NotFound


class DescriptionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such description.")


class SupplementNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("The tenant has no supplement of this description.")


class LeikaKeyTaken(ConflictingField):
    def __init__(self, key: str) -> None:
        super().__init__("leika_key", f"a description with LeiKa key {key} exists already")


class NotEditableHere(Conflict):
    def __init__(self) -> None:
        super().__init__("A shared description is changed through the shared base, or supplemented per tenant.")


class MoveRefused(Conflict):
    pass


class MoveForbidden(Forbidden):
    pass


class BaseEditorsOnly(Forbidden):
    def __init__(self) -> None:
        super().__init__("The shared base is kept by the host's knowledge editors.")

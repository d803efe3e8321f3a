from kit.errors import ConflictingField, NotFound


class OfficeNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such office.")


class ResponsibilityNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("The office is not responsible for that description.")


class OfficeNameTaken(ConflictingField):
    def __init__(self, name: str) -> None:
        super().__init__("name", f"the tenant has an office named {name!r} already")

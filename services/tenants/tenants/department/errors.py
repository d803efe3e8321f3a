from kit.errors import ConflictingField, NotFound


class DepartmentNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such department.")


class DepartmentNameTaken(ConflictingField):
    def __init__(self, name: str) -> None:
        super().__init__("name", f"the tenant has a department named {name!r} already")

from kit.errors import ConflictingField, NotFound


class LineNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such number or queue.")


class LineTaken(ConflictingField):
    def __init__(self, address: str) -> None:
        super().__init__("address", f"{address} is mapped to a municipality already")

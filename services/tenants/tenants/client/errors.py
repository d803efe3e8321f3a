from kit.errors import Conflict, ConflictingField, NotFound


class ClientNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such API client.")


class ClientNameTaken(ConflictingField):
    def __init__(self, name: str) -> None:
        super().__init__("name", f"an active client is named {name!r} already")


class ClientRevoked(Conflict):
    def __init__(self) -> None:
        super().__init__("The API client is revoked; create a new one.")


class KeyNotRecognized(NotFound):
    """Unknown, malformed, revoked and expired keys all look the same to the caller."""

    def __init__(self) -> None:
        super().__init__("No such API key.")

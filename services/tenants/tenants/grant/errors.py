from kit.errors import ConflictingField, InvalidField, NotFound


class GrantNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such grant.")


class UnknownGrantee(InvalidField):
    def __init__(self, grantee: str) -> None:
        super().__init__("grantee_tenant", f"no municipality {grantee!r} is registered")


class SelfGrant(InvalidField):
    def __init__(self) -> None:
        super().__init__("grantee_tenant", "a municipality acts for itself without a grant")


class GranteeHasGrant(ConflictingField):
    def __init__(self, grantee: str) -> None:
        super().__init__("grantee_tenant", f"{grantee!r} holds a grant here already; revoke it first")

from kit.errors import Conflict, NotFound


class TenantNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such tenant.")


class TenantExists(Conflict):
    def __init__(self, tenant_id: str) -> None:
        super().__init__(f"The tenant {tenant_id} exists already.")

from kit.errors import NotFound


class NoContractInForce(NotFound):
    def __init__(self) -> None:
        super().__init__("No contract terms are in force at that instant.")


class ContractVersionNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such contract version.")

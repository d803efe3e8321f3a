from kit.errors import NotFound


class FeedbackNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such feedback.")

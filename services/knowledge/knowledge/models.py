"""The knowledge service's declarative base."""

from kit.db.models import KitBase, new_metadata


class Base(KitBase):
    __abstract__ = True
    metadata = new_metadata()

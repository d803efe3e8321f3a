"""Read an XML document safely and walk it by local names, knowing where each element stands in the file.

Parsing goes through defusedxml with DTDs forbidden: an exchange file needs no DTD, and refusing one rules out
entity expansion ("billion laughs") and external entities outright. defusedxml runs the pure-Python parser on
expat, which lets the tree builder read expat's line number as each element starts, so every error can name
the element's path and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import TypeVar
from xml.etree.ElementTree import Element, ParseError, TreeBuilder
from xml.parsers.expat import XMLParserType

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from pydantic import BaseModel, TypeAdapter, ValidationError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class XmlError(Exception):
    """The document is not what was expected at ``path`` (line ``line``, when known)."""

    def __init__(self, path: str, line: int | None, detail: str) -> None:
        super().__init__(f"{path or '/'} (line {line}): {detail}" if line else f"{path or '/'}: {detail}")
        self.path = path or "/"
        self.line = line
        self.detail = detail


@lru_cache(maxsize=1024)
def local_name(tag: str) -> tuple[str, str]:
    """``(namespace, local name)`` of an ElementTree tag such as ``{http://…}leistung``."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


class _LineBuilder(TreeBuilder):
    """A tree builder that remembers the line of each element and which elements are still open."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Element, int] = {}
        self.open: list[Element] = []
        self.expat: XMLParserType | None = None

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        element = super().start(tag, attrs)
        if self.expat is not None:
            self.lines[element] = self.expat.CurrentLineNumber
        self.open.append(element)
        return element

    def end(self, tag: str, /) -> Element:
        self.open.pop()
        return super().end(tag)

    @property
    def line(self) -> int | None:
        return None if self.expat is None else self.expat.CurrentLineNumber

    def open_path(self) -> str:
        """The path of the innermost open element; a sibling's number only where it has earlier namesakes."""
        steps = []
        for parent, element in zip([None, *self.open], self.open, strict=False):
            name = local_name(element.tag)[1]
            before = 0 if parent is None else sum(1 for child in parent if child.tag == element.tag) - 1
            steps.append(f"{name}[{before + 1}]" if before else name)
        return "/" + "/".join(steps)


class Document:
    """A parsed document: its elements' lines, and the namespace whose elements (or unqualified ones) count."""

    def __init__(self, lines: dict[Element, int], namespace: str) -> None:
        self.lines = lines
        self.namespace = namespace


def read(data: bytes, *, namespace: str) -> Node:
    """The root of ``data``; ``XmlError`` naming the open element and line if it is not well-formed XML."""
    builder = _LineBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    # defusedxml runs the pure-Python XMLParser so that it can reach its expat parser; the line numbers come from it.
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root: Element = parser.close()
    except ParseError as error:
        raise XmlError(builder.open_path(), error.position[0], f"not well-formed XML: {error}") from None
    except DefusedXmlException:
        raise XmlError(builder.open_path(), builder.line, "DTDs and entities are not accepted") from None
    document = Document(builder.lines, namespace)
    return Node(root, "/" + local_name(root.tag)[1], document)


class Node:
    """An element with its path (``/a/b[2]/c``) and line, whose children are found by local name."""

    __slots__ = ("_children", "document", "element", "path")

    def __init__(self, element: Element, path: str, document: Document) -> None:
        self.element = element
        self.path = path
        self.document = document
        self._children: dict[str, list[Element]] | None = None

    @property
    def line(self) -> int | None:
        return self.document.lines.get(self.element)

    @property
    def name(self) -> str:
        return local_name(self.element.tag)[1]

    @property
    def namespace(self) -> str:
        return local_name(self.element.tag)[0]

    def _kids(self) -> dict[str, list[Element]]:
        if self._children is None:
            children: dict[str, list[Element]] = {}
            for child in self.element:
                namespace, name = local_name(child.tag)
                if namespace in (self.document.namespace, ""):
                    children.setdefault(name, []).append(child)
            self._children = children
        return self._children

    def _node(self, name: str, element: Element, index: int, count: int) -> Node:
        step = f"{name}[{index}]" if count > 1 else name
        return Node(element, f"{self.path}/{step}", self.document)

    def all(self, name: str) -> list[Node]:
        """Every child called ``name``, in document order."""
        found = self._kids().get(name, [])
        return [self._node(name, element, index, len(found)) for index, element in enumerate(found, 1)]

    def first(self, name: str) -> Node | None:
        found = self._kids().get(name)
        return None if not found else self._node(name, found[0], 1, len(found))

    def each(self) -> Iterator[Node]:
        """Every child (of the document's namespace or none) in document order."""
        kids = self._kids()
        seen: dict[str, int] = {}
        for child in self.element:
            namespace, name = local_name(child.tag)
            if namespace in (self.document.namespace, ""):
                seen[name] = seen.get(name, 0) + 1
                yield self._node(name, child, seen[name], len(kids[name]))

    def require(self, name: str) -> Node:
        found = self.first(name)
        if found is None:
            raise self.error(f"{name} is missing")
        return found

    def text(self) -> str:
        """The element's text with its children's, without surrounding white space."""
        return "".join(self.element.itertext()).strip()

    def attribute(self, name: str) -> str | None:
        return self.element.get(name)

    def child_text(self, name: str) -> str | None:
        """The text of the first child called ``name``; None if there is none or it is empty."""
        found = self.first(name)
        return (found.text() or None) if found is not None else None

    def error(self, detail: str) -> XmlError:
        return XmlError(self.path, self.line, detail)

    def valid(self, adapter: TypeAdapter[T], value: object) -> T:
        """``value`` checked by ``adapter``; an ``XmlError`` at this element if it is refused."""
        try:
            return adapter.validate_python(value)
        except ValidationError as error:
            raise self.error(_first_problem(error)) from None

    def model(self, model: type[M], **data: object) -> M:
        """A ``model`` built from ``data``; an ``XmlError`` at this element naming the refused field."""
        try:
            return model.model_validate(data)
        except ValidationError as error:
            raise self.error(_first_problem(error)) from None


def _first_problem(error: ValidationError) -> str:
    problem = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in problem["loc"])
    return f"{where}: {problem['msg']}" if where else str(problem["msg"])

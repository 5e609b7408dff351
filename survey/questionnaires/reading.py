"""Stage 1: read YAML text into a small tree that remembers the line of every key and value.

PyYAML's composer gives nodes with marks; this stage turns them into three plain types
(`YamlScalar`, `YamlList`, `YamlMap`) so later stages never touch PyYAML. A scalar keeps
both its YAML value (int, float, bool, date…) and the text as written, because for ids,
versions and labels the written text is what counts (``version: 1.10`` is not 1.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from survey.errors import ErrorCode, OperatorError
from survey.questionnaires.errors import Issue

# A YAML file can expand aliases to an enormous tree ("billion laughs"); a questionnaire
# never needs more than a few thousand nodes or more than a handful of nesting levels.
MAX_NODES = 100_000
MAX_DEPTH = 20

NULL_TAG = "tag:yaml.org,2002:null"
STRING_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True, slots=True)
class YamlScalar:
    """A single value: `value` as YAML reads it, `text` as written in the file."""

    value: Any
    text: str
    line: int
    tag: str

    @property
    def is_null(self) -> bool:
        return self.tag == NULL_TAG

    @property
    def is_string(self) -> bool:
        return self.tag == STRING_TAG


@dataclass(frozen=True, slots=True)
class YamlList:
    items: tuple[YamlNode, ...]
    line: int


@dataclass(frozen=True, slots=True)
class YamlEntry:
    key: str
    key_line: int
    value: YamlNode


@dataclass(frozen=True, slots=True)
class YamlMap:
    entries: tuple[YamlEntry, ...]
    line: int

    def get(self, key: str) -> YamlEntry | None:
        """The first entry with this key (duplicates are reported by the next stage)."""
        for entry in self.entries:
            if entry.key == key:
                return entry
        return None


YamlNode = YamlScalar | YamlList | YamlMap


class YamlUnreadable(OperatorError):
    """The text is not YAML this reader accepts; `issue` says where and why."""

    code = ErrorCode.YAML_SYNTAX

    def __init__(self, issue: Issue, *, code: ErrorCode | None = None) -> None:
        self.issue = issue
        super().__init__(issue.message, code=code)


def describe(node: YamlNode) -> str:
    """Name the kind of a node for an error message ("a list", "text '…'")."""
    if isinstance(node, YamlList):
        return "a list"
    if isinstance(node, YamlMap):
        return "a mapping"
    if node.is_null:
        return "nothing"
    return f"'{node.text}'"


@dataclass(frozen=True, slots=True)
class _AliasUse:
    """Where an alias (`*name`) is used, around the node it names."""

    node: yaml.Node
    line: int


class _AliasMarkingLoader(yaml.SafeLoader):
    """A safe loader that remembers where each alias is used, not only where its anchor is."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            node = super().compose_node(parent, index)
            if node is not None:
                # The composer only stores what it gets back, so a wrapper is safe here.
                return _AliasUse(node, line)  # type: ignore[return-value]
            return node
        return super().compose_node(parent, index)


def read_yaml(text: str) -> YamlNode | None:
    """Parse one YAML document into located nodes; None for an empty document."""
    try:
        root = yaml.compose(text, Loader=_AliasMarkingLoader)
    except yaml.MarkedYAMLError as exc:
        raise YamlUnreadable(_syntax_issue(exc), code=ErrorCode.YAML_SYNTAX) from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlUnreadable(
            Issue(
                line,
                f"the file contains a control character (#x{exc.character:04x}) that YAML forbids",
                "remove it: it is invisible, often copied from Word or a PDF",
            ),
            code=ErrorCode.YAML_CONTROL_CHARACTER,
        ) from None
    except yaml.YAMLError as exc:
        raise YamlUnreadable(
            Issue(1, f"YAML syntax error: {exc}", "check the file is valid YAML"),
            code=ErrorCode.YAML_SYNTAX,
        ) from None
    if root is None:
        return None
    return _Converter().convert(root, depth=0)


def _syntax_issue(exc: yaml.MarkedYAMLError) -> Issue:
    problem = exc.problem or "not valid YAML"
    problem_line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
    context_line = exc.context_mark.line + 1 if exc.context_mark is not None else None
    context = exc.context or ""
    # An unclosed bracket or quote is noticed lines later; its opening line is the useful one.
    opened = any(word in context for word in ("flow", "quoted"))
    if opened and context_line is not None:
        line = context_line
        found = f" on line {problem_line}" if problem_line not in (None, context_line) else ""
        message = f"YAML syntax error: {context} that starts here: {problem}{found}"
    else:
        line = problem_line or context_line or 1
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    if "'\\t'" in problem:
        hint = "indent with spaces, never tabs"
    elif "expected a single document" in f"{problem} {context}":
        hint = "keep one questionnaire per file (remove the extra '---')"
    elif "undefined alias" in problem:
        hint = "define the anchor ('&name') before using the alias ('*name'), or write the value"
    elif "quoted" in context:
        hint = "close the quote, and write a quote inside the text twice ('') or use the other kind"
    elif "flow" in context:
        hint = (
            "check that every '[' has its ']' and every '{' its '}', and put text "
            "containing ':', ',', '?', '[' or '{' in quotes"
        )
    else:
        hint = (
            "check indentation and punctuation on this line and the one before; "
            "put text containing ': ' or starting with a special character in quotes"
        )
    return Issue(line, message, hint)


class _Converter:
    """Turn PyYAML nodes into located nodes, guarding against alias bombs and deep nesting."""

    def __init__(self) -> None:
        self._constructor = SafeConstructor()
        self._visited = 0

    def convert(
        self, node: yaml.Node | _AliasUse, depth: int, used_on: int | None = None
    ) -> YamlNode:
        """Convert a node; inside an alias, every value is placed on the line using the alias."""
        if isinstance(node, _AliasUse):
            return self.convert(node.node, depth, used_on or node.line)
        self._visited += 1
        line = used_on or node.start_mark.line + 1
        if self._visited > MAX_NODES:
            raise YamlUnreadable(
                Issue(
                    line,
                    "the file expands to too many values (aliases used too often?)",
                    "write the questionnaire without repeated '*alias' references",
                ),
                code=ErrorCode.YAML_TOO_MANY_VALUES,
            )
        if depth > MAX_DEPTH:
            raise YamlUnreadable(
                Issue(line, "values are nested too deeply", "check the indentation"),
                code=ErrorCode.YAML_TOO_DEEP,
            )
        if isinstance(node, yaml.ScalarNode):
            return YamlScalar(self._construct(node), str(node.value), line, node.tag)
        if isinstance(node, yaml.SequenceNode):
            items = tuple(self.convert(item, depth + 1, used_on) for item in node.value)
            return YamlList(items, line)
        if isinstance(node, yaml.MappingNode):
            entries = []
            for key_node, value_node in node.value:
                key_line = used_on or key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == NULL_TAG:
                    raise YamlUnreadable(
                        Issue(
                            key_line,
                            "a key must be a plain word",
                            "write keys as 'name: value', e.g. 'title: …'",
                        ),
                        code=ErrorCode.YAML_BAD_KEY,
                    )
                value = self.convert(value_node, depth + 1, used_on)
                entries.append(YamlEntry(str(key_node.value), key_line, value))
            return YamlMap(tuple(entries), line)
        raise YamlUnreadable(
            Issue(line, "unsupported YAML value", "use plain YAML values"),
            code=ErrorCode.YAML_UNSUPPORTED_VALUE,
        )

    def _construct(self, node: yaml.ScalarNode) -> Any:
        # An impossible date such as 2025-13-01 fails here; keep the text and let the
        # date check report it with a hint.
        try:
            return self._constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError):
            return str(node.value)

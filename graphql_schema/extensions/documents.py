"""Parse and validate each distinct document once, not on every request.

Clients send the same few documents over and over, and parsing and validating one (a
history page: about 1.5 ms, half of the request before this cache) gives the same answer
every time. So both are kept by the document's text: the parsed document, and the errors of
every validation rule that looks only at the document (graphql-core's, the depth and alias
limits, no introspection). What depends on the request still runs on each one: the text
check of the variables and the other extensions before validation (a document they refuse
is not validated), and the cost limit, whose page sizes may come from variables. A
document refused once is refused again from the cache.

The cache is bounded by what its documents could cost in memory: at most MAX_LENGTH
characters each (longer ones are parsed and validated every time) and at most
MAX_CHARACTERS in all (the least recently used go first). A parsed document takes about
110 bytes a character at worst (2,000 tokens packed into 11 KB: 1.2 MB), so the cache
holds at most about 20 MB; realistic documents take far less, and a few hundred fit.
"""

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from graphql_schema.extensions.cost import cost_limit

MAX_LENGTH = 10_000
MAX_CHARACTERS = 200_000


@dataclass(frozen=True)
class CheckedDocument:
    document: DocumentNode
    errors: list[GraphQLError] | None = None  # None until validated


class DocumentCache:
    """Documents by their text, least recently used first, within MAX_CHARACTERS."""

    def __init__(
        self,
        rules: Sequence[type[ASTValidationRule]],
        *,
        max_length: int = MAX_LENGTH,
        max_characters: int = MAX_CHARACTERS,
    ) -> None:
        self.rules = tuple(rules)
        self.max_length, self.max_characters = max_length, max_characters
        self._entries: OrderedDict[str, CheckedDocument] = OrderedDict()
        self._characters = 0

    def get(self, text: str) -> CheckedDocument | None:
        entry = self._entries.get(text)
        if entry is not None:
            self._entries.move_to_end(text)
        return entry

    def validated(
        self, schema: GraphQLSchema, text: str, document: DocumentNode
    ) -> list[GraphQLError]:
        """The errors of the document-only rules, worked out once per cached text."""
        entry = self.get(text)
        if entry is not None and entry.document is document and entry.errors is not None:
            return entry.errors
        errors = validate_document(schema, document, self.rules)
        self._put(text, CheckedDocument(document, errors))
        return errors

    def parsed(self, text: str, document: DocumentNode) -> None:
        if text not in self._entries:
            self._put(text, CheckedDocument(document))

    def _put(self, text: str, entry: CheckedDocument) -> None:
        if not text or len(text) > self.max_length:
            return
        if text not in self._entries:
            self._characters += len(text)
        self._entries[text] = entry
        self._entries.move_to_end(text)
        while self._characters > self.max_characters:
            evicted, _ = self._entries.popitem(last=False)
            self._characters -= len(evicted)

    def __len__(self) -> int:
        return len(self._entries)


class CachedDocuments(SchemaExtension):
    """Parsing and validation through a DocumentCache, then the cost limit for this request.

    Listed after the extensions that refuse an operation before validation (their refusal
    stands, and nothing is validated).
    """

    def __init__(self, *, cache: DocumentCache, max_cost: int) -> None:
        self.cache, self.max_cost = cache, max_cost

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        text = context.query
        entry = self.cache.get(text) if text and context.graphql_document is None else None
        if entry is not None:
            context.graphql_document = entry.document
        yield
        if text and entry is None and context.graphql_document is not None:
            self.cache.parsed(text, context.graphql_document)  # not one that failed

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.pre_execution_errors is None and document is not None:
            schema = context.schema._schema
            errors = self.cache.validated(schema, context.query or "", document)
            if not errors:
                rule = cost_limit(self.max_cost, context.variables or {})
                errors = validate(schema, document, [rule])
            # Validated: Strawberry validates only while this is None.
            context.pre_execution_errors = list(errors)
        yield

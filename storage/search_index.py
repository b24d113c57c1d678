"""The tantivy search index beside a SQLite archive (``<db>.search/``): schema and queries.

Why: FTS5 spent 20-70 ms per ``/search`` at 200k articles (doclists read whole,
``highlight()`` re-tokenising 800 fields); tantivy answers the same match in well under a
millisecond. This module only knows tantivy: documents in, candidate ids out. Keeping it
in step with the database is ``storage/search_sync.py``; the archive decides which engine
answers (``storage/search_tantivy.py``).

The same answers as FTS5: every word and quoted phrase must match in title, summary or
body; words are lower-cased, accent-folded and English-stemmed (tantivy's Snowball
stemmer, FTS5's is the older Porter: a few rare word forms conflate differently); drafts
are never indexed; ``tag:``/``sentiment:``/``source:``/``since:`` are exact fields. The
candidates are the newest ``limit`` matches (highest id first, like FTS5's rowid order),
each with how often the query's words occur in its title and in its summary (FTS5 counted
occurrences through ``highlight()``; a phrase counts once per field). A word is matched
in ``words`` (title, summary and body in one posting list, decision 035); phrases in the
three fields with positions.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.commands.search_query import SearchQuery
from storage.search_docs import _BITS, Candidates, Doc, counted, micros

__all__ = ["Candidates", "Doc", "IndexBusy", "Plan", "TantivyIndex", "available", "micros"]

ANALYZER = "cw_en"
SCHEMA_VERSION = "4"  # bump when fields or the analyzer change: the index is rebuilt
SUMMARY_UNIT = 4096.0  # scoring query: a title hit adds 1, a summary hit this much
FEW_FACTOR = 4  # a query with at most limit x 4 matches is scored in one search
PHRASE_COST = 4  # work per posting of a phrase's words (positions, three fields)
SEEK_COST = 128  # postings a seek into a common word's three fields reads (a block)
WRITER_HEAP = 32_000_000
SPAN_MARGIN = 2.0  # the first window: twice the ids its terms' frequency suggests
WIDEN = 8  # then 8 times as many, and so on
_TEXT_FIELDS = ("title", "summary", "body")
_PHRASE_UNITS = (1.0, SUMMARY_UNIT, 0.0)  # a phrase: present in the title, the summary


def available() -> bool:
    """The ``tantivy`` package imports (a runtime dependency; FTS5 answers without it)."""
    try:
        import tantivy  # noqa: F401
    except ImportError:
        return False
    return True


def _schema() -> Any:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=False, indexed=True, fast=True)
    builder.add_integer_field("at", stored=False, indexed=True, fast=True)
    for name in ("title", "summary", "body"):
        builder.add_text_field(name, stored=False, tokenizer_name=ANALYZER)
    # title, summary and body again, without positions: a word in any of them is one
    # posting list to intersect (phrases use the three fields' positions)
    builder.add_text_field("words", stored=False, tokenizer_name=ANALYZER, index_option="freq")
    for name in ("tag", "sentiment", "source", "title_tf", "summary_tf"):
        builder.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    return builder.build()


def _analyzer() -> Any:
    import tantivy

    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(100))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


class TantivyIndex:
    """One index folder: open (or create) it, write documents, find candidates.

    Writes are serialised by a lock (one tantivy writer per index; another process
    holding it makes ``write`` raise ``IndexBusy`` and the caller retries later).
    Searches use the reader's current searcher and never block on writes.
    """

    def __init__(self, folder: Path) -> None:
        import tantivy

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        version = folder / "cryptowire-schema"
        if version.exists() and version.read_text().strip() != SCHEMA_VERSION:
            raise ValueError(f"search index schema {version.read_text().strip()!r} is outdated")
        self.schema = _schema()
        self.index = tantivy.Index(self.schema, path=str(folder), reuse=True)
        self.index.register_tokenizer(ANALYZER, _analyzer())
        self.index.config_reader(reload_policy="OnCommit")
        self.analyzer = _analyzer()  # queries (search threads)
        self._doc_analyzer = _analyzer()  # documents (under write_lock)
        self.write_lock = threading.Lock()
        version.write_text(SCHEMA_VERSION)
        # the highest id written (other processes' writes may raise it unseen: then the
        # first window is just wider than needed)
        self.top_id = self.newest_id()

    # ---- writes (in a worker thread) ----------------------------------------------

    def write(self, docs: Iterable[Doc], removed: Iterable[int], *, clear: bool = False) -> int:
        """Replace ``docs`` and remove ``removed`` ids in one commit; the count written."""
        import tantivy

        with self.write_lock:
            try:
                writer = self.index.writer(heap_size=WRITER_HEAP, num_threads=1)
            except ValueError as exc:  # another process holds the index's writer lock
                raise IndexBusy(str(exc)) from exc
            try:
                if clear:
                    writer.delete_all_documents()
                for article_id in removed:
                    writer.delete_documents_by_term("id", article_id)
                written, top = 0, self.top_id
                for doc in docs:
                    if not clear:
                        writer.delete_documents_by_term("id", doc.id)
                    document = tantivy.Document()
                    document.add_integer("id", doc.id)
                    document.add_integer("at", doc.at)
                    document.add_text("title", doc.title)
                    document.add_text("summary", doc.summary)
                    document.add_text("body", doc.body)
                    for text in (doc.title, doc.summary, doc.body):  # any field: a word's
                        document.add_text("words", text)
                    for field, text in (("title_tf", doc.title), ("summary_tf", doc.summary)):
                        for term in counted(self._doc_analyzer.analyze(text)):
                            document.add_text(field, term)
                    for tag in doc.tags:
                        document.add_text("tag", tag)
                    document.add_text("sentiment", doc.sentiment)
                    for source in doc.sources:
                        document.add_text("source", source)
                    writer.add_document(document)
                    written += 1
                    top = max(top, doc.id)
                writer.commit()
                writer.wait_merging_threads()
            finally:
                del writer  # releases the index's writer lock
            self.index.reload()
            self.top_id = top
        return written

    # ---- reads ----------------------------------------------------------------------

    def newest_id(self) -> int:
        """The highest article id in the index (0 when empty)."""
        import tantivy

        searcher = self.index.searcher()
        hits = searcher.search(tantivy.Query.all_query(), 1, count=False, order_by_field="id").hits
        return int(hits[0][0]) if hits else 0

    def count(self) -> int:
        return int(self.index.searcher().num_docs)

    def candidates(self, query: SearchQuery, limit: int) -> Candidates | None:
        """The newest ``limit`` matches with their title/summary term counts; None when
        a term has no token (FTS5 answers such queries). Arrays, not objects: per-hit
        Python work was most of a search's time."""
        plan = self.plan(query, limit)
        return None if plan is None else self.run(plan)

    def plan(self, query: SearchQuery, limit: int) -> Plan | None:
        """The query built and sized from its terms' document frequencies (microseconds):
        enough to tell how much work ``run`` will do before doing it."""
        built = self._match(query)
        if built is None:
            return None
        match, terms = built
        searcher = self.index.searcher()
        total = max(1, int(searcher.num_docs))
        # documents holding each word anywhere (a phrase: each of its words)
        frequencies = [[searcher.doc_freq("words", t) for t in tokens] for tokens in terms]
        # a document matches every term: the rarest term's documents bound the matches
        bound = min(min(term) for term in frequencies)
        density = 1.0
        for term in frequencies:  # terms taken as independent; a phrase as its rarest word
            density *= min(min(term), total) / total
        for field, values in self._filters(query):
            density *= min(1.0, sum(searcher.doc_freq(field, v) for v in values) / total)
        span = int(limit / max(density, 1e-9) * SPAN_MARGIN) + limit
        postings = sum(sum(term) for term in frequencies)
        tokens = sum(len(term) for term in frequencies)
        if query.phrases:  # matched over the whole index, positions read in three fields
            work = postings * PHRASE_COST
        elif bound <= limit * FEW_FACTOR:  # the rarest term leads: seeks into the others
            work = min(postings, bound * tokens * SEEK_COST)
        else:  # two searches over the window
            work = int(2 * postings * min(1.0, span / max(1, self.top_id)))
        return Plan(query, limit, searcher, match, terms, bound, span, work)

    def run(self, plan: Plan) -> Candidates:
        """``plan``'s candidates: the newest ``limit`` matches, scored."""
        import tantivy

        searcher, match, terms, limit = plan.searcher, plan.match, plan.terms, plan.limit
        if plan.bound <= limit * FEW_FACTOR:  # few matches: score them all at once
            found = self._candidates(
                searcher, self._scored(searcher, [match], terms, max(1, plan.bound)).hits
            )
            return found if len(found.ids) <= limit else found.newest(limit)
        if plan.query.phrases:
            # a phrase is costly to match and matches rarely: score every match in one
            # search and keep the newest, when there are few enough of them
            wide = limit * FEW_FACTOR
            result = self._scored(searcher, [match], terms, wide, count=True)
            if result.count is not None and result.count <= wide:
                return self._candidates(searcher, result.hits).newest(limit)
        # a phrase matches far less often than its words: windows sized from the words
        # would be widened again and again, each time matching the phrase anew
        hits = self._newest(searcher, match, limit, 0 if plan.query.phrases else plan.span)
        if not hits:
            return Candidates.empty()
        oldest = int(hits[-1][0])  # newest first: the last is the oldest candidate
        # the same documents again (the match, id >= oldest), now scored
        window = tantivy.Query.const_score_query(self._range("id", oldest), 0.0)
        result = self._scored(searcher, [match, window], terms, len(hits))
        return self._candidates(searcher, result.hits)

    def _scored(
        self,
        searcher: Any,
        within: list[Any],
        terms: list[list[str]],
        limit: int,
        count: bool = False,
    ) -> Any:
        """``within`` (all must match; the match scores its phrases, see ``_match``)
        scored by the words' counts: 2^b per title count term found, SUMMARY_UNIT x 2^b
        per summary one."""
        import tantivy

        Occur, Query = tantivy.Occur, tantivy.Query
        scoring = [(Occur.Must, q) for q in within]
        for tokens in dict.fromkeys(tuple(t) for t in terms if len(t) == 1):
            scoring += self._counting(tokens[0], "title", 1.0)
            scoring += self._counting(tokens[0], "summary", SUMMARY_UNIT)
        return searcher.search(Query.boolean_query(scoring), limit, count=count)

    def _candidates(self, searcher: Any, scored: list[Any]) -> Candidates:
        """Scored hits -> ids, dates (fast fields) and the two counts decoded."""
        import numpy as np

        if not scored:
            return Candidates.empty()
        scores_, addresses_ = zip(*scored, strict=True)
        addresses = list(addresses_)
        scores = np.asarray(scores_, dtype=np.float64)
        in_summary = np.floor_divide(scores, SUMMARY_UNIT)
        return Candidates(
            ids=np.asarray(searcher.fast_field_values("id", addresses), dtype=np.int64),
            ats=np.asarray(searcher.fast_field_values("at", addresses), dtype=np.int64),
            in_title=np.rint(scores - in_summary * SUMMARY_UNIT),
            in_summary=in_summary,
        )

    def _counting(self, token: str, field: str, unit: float) -> list[tuple[Any, Any]]:
        """Should-clauses scoring ``unit`` per occurrence of a word in ``field`` (as FTS5's
        highlight() counts)."""
        import tantivy

        Occur, Query = tantivy.Occur, tantivy.Query
        return [
            (
                Occur.Should,
                Query.const_score_query(
                    Query.term_query(self.schema, f"{field}_tf", f"{token}#{bit}"), unit * bit
                ),
            )
            for bit in _BITS
        ]

    def _newest(self, searcher: Any, match: Any, limit: int, span: int) -> list[Any]:
        """The newest ``limit`` matches. Ordering every match by id reads the id of each
        (a common word: most of the index); so look among the newest ``span`` ids first
        and widen only when too few match there (the answer is the same: the newest
        matches are always inside a window that holds ``limit`` of them)."""
        import tantivy

        while 0 < span < self.top_id:
            window = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, match),
                    (tantivy.Occur.Must, self._range("id", self.top_id - span)),
                ]
            )
            hits = searcher.search(window, limit, count=False, order_by_field="id").hits
            if len(hits) >= limit:
                return list(hits)
            span *= WIDEN
        return list(searcher.search(match, limit, count=False, order_by_field="id").hits)

    def _tokens(self, text: str) -> list[str]:
        return list(self.analyzer.analyze(text))

    def _term(self, field: str, tokens: Sequence[str]) -> Any:
        import tantivy

        if len(tokens) == 1:
            return tantivy.Query.term_query(self.schema, field, tokens[0])
        return tantivy.Query.phrase_query(self.schema, field, list(tokens))

    def _range(self, field: str, lower: int) -> Any:
        import tantivy

        return tantivy.Query.range_query(
            self.schema, field, tantivy.FieldType.Integer, lower, None, True, True
        )

    def _any_of(self, field: str, values: Iterable[str]) -> Any:
        import tantivy

        return tantivy.Query.term_set_query(self.schema, field, list(values))

    def _filters(self, query: SearchQuery) -> list[tuple[str, list[str]]]:
        """The exact-term filters as (field, any of these values)."""
        pairs = [
            ("tag", list(query.tags)),
            ("sentiment", [str(s) for s in query.sentiments]),
            ("source", list(query.sources)),
        ]
        return [(field, values) for field, values in pairs if values]

    def _match(self, query: SearchQuery) -> tuple[Any, list[list[str]]] | None:
        """The boolean match of words, phrases and filters, and each term's tokens. It
        scores only phrases (and words the analyzer splits), once per field, 1 in the
        title and SUMMARY_UNIT in the summary: FTS5 counted a phrase once per field, and
        counting it in the match saves matching it twice more."""
        import tantivy

        Occur, Query = tantivy.Occur, tantivy.Query
        terms: list[list[str]] = []
        for text in [*query.words, *(" ".join(phrase) for phrase in query.phrases)]:
            tokens = self._tokens(text)
            if not tokens:
                return None
            terms.append(tokens)
        clauses = []
        for tokens in dict.fromkeys(map(tuple, terms)):  # two words, one stem: one term
            if len(tokens) == 1:  # one posting list, where three fields were a union to
                # seek through (most of a two-word search's time); counts: count terms
                word = Query.term_query(self.schema, "words", tokens[0])
                clauses.append((Occur.Must, Query.const_score_query(word, 0.0)))
                continue
            fields = [
                (Occur.Should, Query.const_score_query(self._term(f, tokens), unit))
                for f, unit in zip(_TEXT_FIELDS, _PHRASE_UNITS, strict=True)
            ]
            clauses.append((Occur.Must, Query.boolean_query(fields)))
        clauses += [
            (Occur.Must, Query.const_score_query(self._any_of(field, values), 0.0))
            for field, values in self._filters(query)
        ]
        if query.since is not None:
            since = self._range("at", micros(query.since))
            clauses.append((Occur.Must, Query.const_score_query(since, 0.0)))
        return Query.boolean_query(clauses), terms


@dataclass(frozen=True, slots=True)
class Plan:
    """One search, built and sized (``TantivyIndex.plan``), not yet run."""

    query: SearchQuery
    limit: int
    searcher: Any
    match: Any
    terms: list[list[str]]
    bound: int  # at most this many documents match (the rarest term's frequency)
    span: int  # newest ids expected to hold ``limit`` matches (twice over)
    work: int  # postings the search is expected to read (what its time grows with)


class IndexBusy(RuntimeError):
    """Another process holds the index's writer lock (it is indexing): retry later."""

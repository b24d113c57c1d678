"""Dialect-specific full-text candidate queries behind ``SqlArchive.search``.

Both return at most ``candidates`` (article id, raw relevance, published_at) rows for the
NEWEST matches only, so cost is bounded on a million articles; ranking then blends
relevance with recency in Python. User text never becomes query syntax: SQLite gets an
FTS5 expression built only from double-quoted word tokens, PostgreSQL gets
plainto_tsquery / phraseto_tsquery over bound parameters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.sql.selectable import TextualSelect

from bot.commands.search_query import SearchQuery
from storage.tables import UTCDateTime

# bm25 column weights: title, summary, body
SQLITE_WEIGHTS = "10.0, 4.0, 1.0"
# PostgreSQL: matches are first looked for among this many newest articles (a bounded scan
# down the published_at index); only when fewer than RECENT_ENOUGH turn up there is the
# GIN index asked for every match (then the term is rare, so that set is small).
RECENT_WINDOW = 4000
RECENT_ENOUGH = 10
# SQLite relevance: BM25-style saturating term frequency per column, from FTS5 highlight()
# (per row, phrase- and stemming-aware). FTS5's own bm25() counts every match in the whole
# index for its IDF on each query (30-100 ms for a common term at a million articles);
# every candidate contains every term, so IDF barely changes their order anyway.
_MARK = "char(1)"


def fts5_match(query: SearchQuery) -> str:
    """An FTS5 MATCH string from word tokens only, each double-quoted (implicit AND)."""
    terms = [*query.words, *(" ".join(phrase) for phrase in query.phrases)]
    return " ".join('"' + term.replace('"', '""') + '"' for term in terms)


def _filters(query: SearchQuery, params: dict[str, Any], false: str) -> list[str]:
    clauses = [f"a.draft = {false}"]
    if query.tags:
        names = []
        for i, tag in enumerate(query.tags):
            params[f"tag{i}"] = tag
            names.append(f":tag{i}")
        clauses.append(
            "EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id "
            f"AND t.tag IN ({', '.join(names)}))"
        )
    if query.sentiments:
        names = []
        for i, sentiment in enumerate(query.sentiments):
            params[f"sent{i}"] = str(sentiment)
            names.append(f":sent{i}")
        clauses.append(f"a.sentiment IN ({', '.join(names)})")
    if query.sources:
        ors = []
        for i, source in enumerate(query.sources):
            params[f"src{i}"] = source
            ors.append(f"lower(a.source_key) = :src{i} OR lower(a.source_name) = :src{i}")
        clauses.append("(" + " OR ".join(ors) + ")")
    if query.since is not None:
        params["since"] = query.since
        clauses.append("a.published_at >= :since")
    return clauses


def _typed(sql: str) -> TextualSelect:
    return text(sql).columns(published_at=UTCDateTime())


def sqlite_candidates(query: SearchQuery, candidates: int) -> tuple[TextualSelect, dict[str, Any]]:
    params: dict[str, Any] = {"limit": candidates}
    where = _filters(query, params, "0")
    if not query.has_text:
        return _unranked(query, where, params)
    params["match"] = fts5_match(query)
    title = f"highlight(articles_fts, 0, {_MARK}, '')"
    summary = f"highlight(articles_fts, 1, {_MARK}, '')"
    # MATERIALIZED: each highlight() runs once per candidate. Flattened, SQLite copied the
    # expression into every use of ht / hs below (four highlights per column per row).
    hits = (
        f"SELECT a.id AS id, a.published_at AS published_at, {title} AS ht, {summary} AS hs "
        "FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
        f"WHERE articles_fts MATCH :match AND {' AND '.join(where)} "
        "ORDER BY articles_fts.rowid DESC LIMIT :limit"
    )
    counts = (
        f"SELECT id, published_at, length(ht) - length(replace(ht, {_MARK}, '')) AS tt, "
        f"length(hs) - length(replace(hs, {_MARK}, '')) AS ts FROM hits"
    )
    sql = (
        f"WITH hits AS MATERIALIZED ({hits}), counts AS MATERIALIZED ({counts}) "
        "SELECT id, 1.0 + 10.0 * tt / (tt + 1.2) + 4.0 * ts / (ts + 1.2) AS relevance, "
        "published_at FROM counts ORDER BY id DESC"
    )
    return _typed(sql), params


def sqlite_ranked(
    query: SearchQuery, candidates: int, limit: int, *, weight: float, half_life_h: float
) -> tuple[str, dict[str, Any]]:
    """SQLite: candidates ranked inside the same statement (``archive.rank``'s blend of
    relevance normalised to the best candidate and recency from the newest one, in SQL
    window functions), so one round trip returns the top ids instead of 400 rows that
    Python decodes and sorts. Columns: id, score. Needs SQLite's math functions (pow)."""
    inner, params = sqlite_candidates(query, candidates)
    params["top"] = limit
    sql = (
        f"SELECT id, {weight} * max(relevance, 0.0) / coalesce(nullif(max(relevance) "
        f"OVER (), 0.0), 1.0) + {1 - weight} * pow(0.5, (julianday(max(published_at) "
        f"OVER ()) - julianday(published_at)) * 24.0 / {half_life_h}) AS score, "
        f"published_at AS at FROM ({inner.element.text}) ORDER BY score DESC, at DESC, id DESC "
        "LIMIT :top"
    )
    return sql, params


def postgres_candidates(
    query: SearchQuery, candidates: int
) -> tuple[TextualSelect, dict[str, Any]]:
    params: dict[str, Any] = {"limit": candidates}
    where = _filters(query, params, "false")
    if not query.has_text:
        return _unranked(query, where, params)
    parts = []
    if query.words:
        params["words"] = " ".join(query.words)
        parts.append("plainto_tsquery('english', :words)")
    for i, phrase in enumerate(query.phrases):
        params[f"phrase{i}"] = " ".join(phrase)
        parts.append(f"phraseto_tsquery('english', :phrase{i})")
    tsquery = "(" + " && ".join(parts) + ")"
    params["window"], params["enough"] = RECENT_WINDOW, RECENT_ENOUGH
    matching = f"a.search_vector @@ {tsquery} AND {' AND '.join(where)}"
    columns = (
        f"a.id AS id, ts_rank(a.search_vector, {tsquery}) AS relevance, "
        "a.published_at AS published_at"
    )
    # Recent: filter only the newest RECENT_WINDOW rows (cost bounded whatever the term).
    # All: the GIN bitmap then a top-N sort; "+ interval '0'" keeps the planner from walking
    # the published_at index instead (it overestimates phrases and AND-ed terms). The
    # one-time filter runs it only when the recent window had too few matches.
    sql = (
        "WITH recent AS MATERIALIZED ("
        f"SELECT {columns} FROM (SELECT * FROM articles WHERE draft = false "
        "ORDER BY published_at DESC LIMIT :window) a "
        f"WHERE {matching} ORDER BY a.published_at DESC LIMIT :limit), "
        "enough AS MATERIALIZED (SELECT count(*) >= :enough AS ok FROM recent) "
        "SELECT id, relevance, published_at FROM recent WHERE (SELECT ok FROM enough) "
        "UNION ALL "
        f"(SELECT {columns} FROM articles a WHERE {matching} "
        "AND NOT (SELECT ok FROM enough) "
        "ORDER BY a.published_at + interval '0 second' DESC LIMIT :limit)"
    )
    return _typed(sql), params


def _unranked(
    query: SearchQuery, where: list[str], params: dict[str, Any]
) -> tuple[TextClause, dict[str, Any]]:
    """Filters only: newest first, every row equally relevant. One tag drives the scan
    from the (tag, published_at) postings index, so a rare tag is not a full scan."""
    if len(query.tags) == 1:
        rest = [c for c in where if not c.startswith("EXISTS (SELECT 1 FROM article_tags")]
        sql = (
            "SELECT a.id AS id, 1.0 AS relevance, a.published_at AS published_at "
            "FROM article_tags t JOIN articles a ON a.id = t.article_id "
            f"WHERE t.tag = :tag0 AND {' AND '.join(rest)} "
            "ORDER BY t.published_at DESC LIMIT :limit"
        )
        return _typed(sql), params
    sql = (
        "SELECT a.id AS id, 1.0 AS relevance, a.published_at AS published_at "
        f"FROM articles a WHERE {' AND '.join(where)} "
        "ORDER BY a.published_at DESC LIMIT :limit"
    )
    return _typed(sql), params

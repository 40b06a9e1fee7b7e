"""Retrieval: the one search over a tenant's chunks.

Hybrid: pgvector nearest neighbours (HNSW with pgvector 0.8's iterative index scan, so that the
tenant filter cannot starve the result) fused with PostgreSQL full-text search by weighted
reciprocal rank; with an offline model, the best candidates are ranked again by their nearest
sentence window (embedded at ingestion); contents and index pages rank below body text.
docs/retrieval.md has the measurements behind each choice.
"""

import json
import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet

from documents import index, registry, statistics, vectors, windows
from documents.embeddings import Embedder, Embeddings
from documents.models import Chunk, VectorStore, page_at
from tenants.models import Tenant
from usage.metering import Kind
from usage.metering import record as meter

logger = logging.getLogger(__name__)

RRF_K = 60  # the usual reciprocal-rank-fusion constant: weight / (RRF_K + rank)
# Each half's weight in the fusion, and the nearest chunk kept in the top k whatever the full-text
# half says when it is this near (cosine distance). Tuned on bench/eval (docs/retrieval.md).
VECTOR_WEIGHT = 1.0
TEXT_WEIGHT = 1.0
CONFIDENT_DISTANCE = 0.25
# A word's Snowball stem (4 letters or more) also matches as a prefix: 'instal' finds "install".
STEM_PATTERN, STEM_PREFIX = r"'([^']{4,})'", r"'\1':*"
STATS_CHECK_SECONDS = 1.0
LISTING_LOOKAHEAD = 2  # k * this many fused candidates are loaded, so that body chunks can pass listings
EXACT_WEIGHT = 1.0  # the words as written count this much more than their stems in the ranking
CANDIDATES_PER_RESULT = 4  # each half ranks k * this many chunks before fusing
# The full-text half's best (k * CANDIDATES_PER_RESULT) * this many by ts_rank_cd are ranked again
# by how many of the question's words each matches (full_text_sql). Measured on bench/eval.
COORDINATION_DEPTH = 2
# Offline models: the best k * this many fused candidates are ranked again by their nearest sentence
# window (documents/windows.py), a third ranking fused with this weight. Tuned on bench/eval.
RERANK_PER_RESULT = 8
WINDOW_WEIGHT = 2.0
# A window less similar than this (cosine) is no evidence, as a chunk beyond MAX_DISTANCE is not;
# windows, being short, are more often a little similar by chance (0.2 to 0.5 tried: bench/eval).
WINDOW_MIN_SIMILARITY = 0.3
SNIPPET_CHARS = 240
PASSAGE_WORDS = 70  # an offline answer quotes about this many words of each source
SHARED_WORD_BONUS = 0.02  # per question word a sentence shares, beside its cosine similarity
MAX_TERMS = 24
COMMON_FRACTION = 0.05  # a word in more than 5% of all chunks does not help find the right ones
# ... unless it is in fewer chunks than this: with a handful of chunks in all, every word of one of
# them is in more than 5%, and a question's one distinctive word would be dropped as common.
COMMON_MIN_ROWS = 5
COMMON_WORDS_TTL = 600.0
# Nearest chunks farther than this (cosine distance) are not evidence of anything: with the
# offline embedder they share no content word with the question, and with OpenAI's
# text-embedding-3 models they are about something else. Full-text matches count regardless.
MAX_DISTANCE = 0.8
WORD = re.compile(r"\w+", re.UNICODE)
PHRASE = re.compile(r'"([^"]+)"')
SENTENCE = re.compile(r"(?<=[.!?。])\s+")
# 'simple' text search keeps every word of every language; these English function words would
# otherwise match nearly every chunk and drown the words that matter.
STOPWORDS = frozenset(
    " ".join(
        [
            "a an and any are as at be been but by can could did do does for from had has have how i if in",
            "into is it its me my no not of on or our so than that the their them then there these they",
            "this to was we were what when where which who whom why will with would you your about tell",
        ]
    ).split()
)


@dataclass(frozen=True)
class Hit:
    chunk_id: int
    document_id: int
    document_public_id: str
    title: str
    text: str
    page_start: int
    page_end: int
    token_count: int
    score: float
    distance: float | None  # None when only full-text search found it
    snippet: str
    page: int = 0  # the page of the passage that answers (where `snippet` and `passage` start)
    passage: str = ""  # the sentences that answer best, about PASSAGE_WORDS words, for quoting
    page_breaks: tuple[tuple[int, int], ...] = ()  # the chunk's (offset in `text`, page)


def search(
    tenant: Tenant | None,
    query: str,
    *,
    documents: Iterable[Any] | None = None,
    k: int | None = None,
    user: Any = None,
    on_usage: Callable[[Embeddings], None] | None = None,
) -> list[Hit]:
    """The top `k` (TOP_K) chunks of `tenant` for `query`; no tenant means nothing at all.

    1. Embed the question with the tenant's embedding model (documents/index.py), metered as a
       query embedding (or handed to `on_usage`, for a caller that meters it later, off its
       critical path). During a switch that is still the old model, until every document has
       the new one's vectors.
    2. Rank the tenant's chunks by cosine distance (HNSW) and by full-text match.
    3. Fuse both rankings by weighted reciprocal rank; with an offline model, fuse in a third:
       the candidates by their nearest sentence window (`rerank`). Keep a confident nearest
       chunk, put contents and index chunks last, and keep the best `k`.
    4. Focus each hit on its sentence that answers best (its snippet, the passage an offline
       answer quotes, and the page it is on): by meaning with an offline embedder, which costs
       nothing to ask again, else by the words it shares with the question.
    `documents` (Document objects or ids) narrows the search to those documents of the tenant.
    """
    if tenant is None or not query.strip():
        return []
    store, embedder = query_model(tenant)
    if embedder is None:  # its model left the server's list: full-text search still answers
        return hybrid_search(tenant, query, None, store=store, documents=documents, k=k)
    embedded = embedder.embed([query])
    if on_usage is not None:
        on_usage(embedded)
    else:
        meter(tenant, user, Kind.QUERY_EMBEDDING, embedded.model, embedded.tokens)
    hits = hybrid_search(tenant, query, embedded.vectors[0], store=store, documents=documents, k=k)
    return refocus(hits, query, embedder) if embedder.offline else hits


def query_model(tenant: Tenant) -> tuple[VectorStore, Embedder | None]:
    """The model that answers the tenant's questions (during a switch, still the old one), and its
    embedder; None when this server no longer allows that model (the system check says so)."""
    store = index.answering_store(tenant)
    try:
        return store, index.embedder_for(store)
    except index.ModelUnavailable as exc:
        logger.warning("Tenant %s: %s", tenant.pk, exc)
        return store, None


def hybrid_search(
    tenant: Tenant,
    query: str,
    vector: Sequence[float] | None,
    *,
    store: VectorStore,
    documents: Iterable[Any] | None = None,
    k: int | None = None,
) -> list[Hit]:
    """Steps 2 and 3 of `search`, for a question already embedded with `store`'s model."""
    k = k or settings.TOP_K
    limit = k * CANDIDATES_PER_RESULT
    nearest, matched = ranked_chunks(store, tenant, vector, query, limit, documents)
    close = [(cid, d) for cid, d in nearest if d <= MAX_DISTANCE]
    fused = fuse([cid for cid, _ in close], matched, weights=(VECTOR_WEIGHT, TEXT_WEIGHT))
    if vector is not None and store.model in registry.OFFLINE_MODELS and WINDOW_WEIGHT:
        fused = rerank(store, tenant, fused, vector, k * RERANK_PER_RESULT)
    fused = keep_confident(fused, close, k)
    return load_hits(tenant, documents, fused[: k * LISTING_LOOKAHEAD], dict(close), query, k)


def tenant_chunks(tenant: Tenant, documents: Iterable[Any] | None = None) -> QuerySet[Chunk]:
    chunks = Chunk.objects.filter(tenant=tenant)
    ids = document_ids(documents)
    return chunks.filter(document_id__in=ids) if ids else chunks


def document_ids(documents: Iterable[Any] | None) -> list[int]:
    return [getattr(d, "pk", d) for d in documents or ()]


def use_iterative_scan(limit: int) -> None:
    """For the current transaction: keep scanning the HNSW graph until `limit` rows pass the filters.

    Without it, the index returns its ef_search nearest rows of *all* tenants and the tenant filter
    may leave none. relaxed_order may return rows slightly out of order; callers re-sort.
    """
    with connection.cursor() as cursor:  # SET LOCAL for both, in one round trip
        cursor.execute(ITERATIVE_SCAN_SQL, {"ef_search": str(max(40, int(limit)))})


def nearest_chunks(
    store: VectorStore,
    tenant: Tenant | int,
    vector: Sequence[float],
    limit: int,
    documents: Iterable[Any] | None = None,
) -> list[tuple[int, float]]:
    """(chunk id, distance) of the tenant's `limit` nearest chunks in the model's own table (its
    partition's HNSW graph), nearest first."""
    tenant_id = getattr(tenant, "pk", tenant)
    rows = vectors.nearest(store, tenant_id, vector, limit, document_ids(documents))
    return sorted(rows, key=lambda row: (row[1], row[0]))


def ranked_chunks(
    store: VectorStore,
    tenant: Tenant,
    vector: Sequence[float] | None,
    query: str,
    limit: int,
    documents: Iterable[Any] | None = None,
) -> tuple[list[tuple[int, float]], list[int]]:
    """Both rankings of the tenant's chunks, in one round trip to the database: (chunk id, distance)
    by cosine distance (nearest_chunks), and the ids that match the question's words (full_text_chunks).

    The statements go as one string, which PostgreSQL runs as one transaction, so that the
    iterative-scan settings (use_iterative_scan) hold for the vector search after them. It replaced
    a transaction of five round trips and the ORM's compiling of the full-text filter.
    """
    ids = document_ids(documents)
    params: dict[str, Any] = {"tenant": tenant.pk, "limit": limit, "ef_search": str(max(40, int(limit)))}
    statements = [ITERATIVE_SCAN_SQL]
    if vector is not None:
        statements.append(vectors.nearest_sql(store, documents=bool(ids)))
        params["vector"] = vectors.literal(vector)
    parts, required = informative_parts(query, common_words())
    if terms := joined_terms(parts, required):
        statements.append(full_text_sql(documents=bool(ids)))
        params.update(terms=terms, pattern=STEM_PATTERN, prefix=STEM_PREFIX, exact_weight=EXACT_WEIGHT)
        params.update(parts=parts, depth=limit * COORDINATION_DEPTH)
    if ids:
        params["documents"] = ids
    with connection.cursor() as cursor:
        cursor.execute(";\n".join(statements), params)
        results = []
        while cursor.nextset():  # the first result is the settings'
            results.append(cursor.fetchall())
    nearest = [(cid, float(d)) for cid, d in results.pop(0)] if vector is not None else []
    matched = [row[0] for row in results.pop(0)] if terms else []
    return sorted(nearest, key=lambda row: (row[1], row[0])), matched


ITERATIVE_SCAN_SQL = (
    "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true),"
    " set_config('hnsw.ef_search', %(ef_search)s, true)"
)


def full_text_sql(*, documents: bool) -> str:
    """The tenant's chunks (of %(documents)s) that match %(terms)s (websearch_terms), best first.

    1. A word matches as written ('simple', any language) or by its stem as a prefix: the Snowball
       stem of English words and of Russian ones (PostgreSQL's 'russian' configuration stems ASCII
       words with english_stem), so that "installing" finds "install" and "installation". Stems
       shorter than 4 letters match only whole words.
    2. The best %(depth)s by ts_rank_cd are ranked again by how many of the question's parts
       (%(parts)s: its phrases and informative words, informative_parts) each one matches, then by
       ts_rank_cd (coordination level): a chunk with four of the question's words beats one that
       repeats one of them. ts_rank_cd alone sums the matches, and a rare word said often wins.
       Only those rows are counted, so the extra work does not grow with the tenant's chunks.
    The tenant is a literal (psycopg binds on the client), so PostgreSQL reads only its partition.
    """
    scope = " AND documents_chunk.document_id = ANY(%(documents)s)" if documents else ""
    return (
        "WITH part AS MATERIALIZED (SELECT websearch_to_tsquery('simple', p) || regexp_replace("  # noqa: S608
        "websearch_to_tsquery('russian', p)::text, %(pattern)s, %(prefix)s, 'g')::tsquery AS q"
        " FROM unnest(%(parts)s::text[]) AS p)"
        " SELECT top.id FROM (SELECT documents_chunk.id, documents_chunk.search,"
        " %(exact_weight)s * ts_rank_cd(documents_chunk.search, query.exact)"
        " + ts_rank_cd(documents_chunk.search, query.q) AS rank FROM documents_chunk,"
        " (SELECT websearch_to_tsquery('simple', %(terms)s) AS exact,"
        " websearch_to_tsquery('simple', %(terms)s) || regexp_replace(websearch_to_tsquery("
        "'russian', %(terms)s)::text, %(pattern)s, %(prefix)s, 'g')::tsquery AS q) AS query"
        f" WHERE documents_chunk.tenant_id = %(tenant)s{scope} AND documents_chunk.search @@ query.q"
        " ORDER BY rank DESC, documents_chunk.id LIMIT %(depth)s) AS top"
        " ORDER BY (SELECT count(*) FROM part WHERE top.search @@ part.q) DESC, top.rank DESC, top.id"
        " LIMIT %(limit)s"
    )


def websearch_terms(question: str, common: frozenset[str] = frozenset()) -> str:
    """The question as a websearch_to_tsquery query: its informative parts (informative_parts) as
    alternatives, or all required when every word was common."""
    return joined_terms(*informative_parts(question, common))


def joined_terms(parts: list[str], required: bool) -> str:
    """informative_parts' parts as one websearch_to_tsquery query: alternatives, or all required."""
    return (" " if required else " or ").join(parts)


def informative_parts(question: str, common: frozenset[str] = frozenset()) -> tuple[list[str], bool]:
    """The question's quoted phrases and informative words, in websearch_to_tsquery syntax, and
    whether all of them are required.

    1. Quoted phrases stay phrases; function words (STOPWORDS) go.
    2. Words found in most chunks (`common`) go too: they say little, and each would make the
       query match, and rank, a large part of the tenant's chunks.
    3. What is left is meant to be OR-ed: a question is rarely in one chunk word for word. If every
       word was common, they are all required instead (AND), which stays cheap and precise.
    """
    phrases = [" ".join(WORD.findall(p)) for p in PHRASE.findall(question)]
    words: list[str] = []
    for word in WORD.findall(PHRASE.sub(" ", question).lower()):
        if word not in STOPWORDS and word not in words and (len(word) > 1 or word.isdigit()):
            words.append(word)
    rare = [w for w in words if w not in common]
    parts = [f'"{p}"' for p in phrases if p] + rare[:MAX_TERMS]
    if parts:
        return parts, False
    return words[:MAX_TERMS], True


_common_words: tuple[float, frozenset[str]] = (-COMMON_WORDS_TTL, frozenset())
_common_words_lock = threading.Lock()


def common_words() -> frozenset[str]:
    """Words in more than COMMON_FRACTION of all chunks, from ANALYZE's statistics on Chunk.search.

    PostgreSQL keeps the most common lexemes of a tsvector column with the fraction of rows that
    have each (pg_stats.most_common_elems), per partition of the chunk table (autovacuum analyzes
    the partitions, never the partitioned parent); the fractions are weighted by the partitions'
    row counts. Read at most every COMMON_WORDS_TTL seconds, by one thread at a time: reading them
    takes tens of milliseconds of Python at 100 tenants, and in a burst every database thread of a
    fresh process read them at once, again and again until the first had finished (py-spy).
    """
    read_at, words = _common_words
    if time.monotonic() - read_at < COMMON_WORDS_TTL and not stats_changed():
        return words
    with _common_words_lock:
        if _common_words[0] != read_at:  # another thread read them meanwhile
            return _common_words[1]
        return _read_common_words()


def _read_common_words() -> frozenset[str]:
    global _common_words
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname"
            " AND s.attname = 'search' AND NOT s.inherited"
            " WHERE c.oid = 'documents_chunk'::regclass"
            " OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'documents_chunk'::regclass)"
        )
        rows = cursor.fetchall()
    _common_words = (time.monotonic(), frequent(rows))
    return _common_words[1]


_stats_checked: tuple[float, object] = (-STATS_CHECK_SECONDS, None)


def stats_changed() -> bool:
    """Whether a document's chunks were analyzed (documents/statistics.py) since this process last
    looked; asked of the shared cache at most every STATS_CHECK_SECONDS."""
    global _stats_checked
    checked_at, seen = _stats_checked
    if time.monotonic() - checked_at < STATS_CHECK_SECONDS:
        return False
    version = statistics.version()
    _stats_checked = (time.monotonic(), version)
    return version != seen


def frequent(stats: Sequence[tuple[list[str] | None, list[float] | None, float]]) -> frozenset[str]:
    """The words in more than COMMON_FRACTION of the rows, and in COMMON_MIN_ROWS rows at least, from
    (lexemes, fractions, rows) per table."""
    total = sum(max(rows, 0.0) for _, _, rows in stats)
    counts: dict[str, float] = defaultdict(float)
    for lexemes, fractions, rows in stats:
        for word, fraction in zip(lexemes or [], fractions or [], strict=False):
            counts[word] += fraction * max(rows, 0.0)
    return frozenset(
        w
        for w, count in counts.items()
        if total and count / total > COMMON_FRACTION and count >= COMMON_MIN_ROWS - 1e-9
    )


def fuse(*rankings: Sequence[int], weights: Sequence[float] = ()) -> list[tuple[int, float]]:
    """Weighted reciprocal rank fusion: each ranking adds weight / (RRF_K + rank); best first, ties by id."""
    scores: dict[int, float] = defaultdict(float)
    for n, ranking in enumerate(rankings):
        weight = weights[n] if n < len(weights) else 1.0
        for rank, chunk_id in enumerate(ranking, start=1):
            scores[chunk_id] += weight / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def rerank(
    store: VectorStore, tenant: Tenant, fused: list[tuple[int, float]], vector: Sequence[float], limit: int
) -> list[tuple[int, float]]:
    """`by_windows` with the first `limit` candidates' windows read from the model's table (one query).

    A chunk indexed before windows existed counts as one window, itself (its own vector's similarity),
    so that it is not pushed down by the windows of newer ones."""
    head = [cid for cid, _ in fused[:limit]]
    packed, whole = vectors.windows_or_similarity(store, tenant.pk, head, vector)
    return by_windows(fused, windows.best_similarity(packed, store.dimensions, vector) | whole, len(head))


def by_windows(
    fused: list[tuple[int, float]], similarity: dict[int, float], limit: int
) -> list[tuple[int, float]]:
    """The first `limit` fused candidates ranked again, with a third ranking fused in: by the
    similarity of each one's nearest sentence window to the question (WINDOW_WEIGHT / (RRF_K +
    rank)). A chunk with no similarity given, or one below WINDOW_MIN_SIMILARITY, keeps its fused
    score."""
    head, tail = fused[:limit], fused[limit:]
    close = [cid for cid, _ in head if similarity.get(cid, -1.0) >= WINDOW_MIN_SIMILARITY]
    order = sorted(close, key=lambda cid: (-similarity[cid], cid))
    bonus = {cid: WINDOW_WEIGHT / (RRF_K + rank) for rank, cid in enumerate(order, start=1)}
    head = [(cid, score + bonus.get(cid, 0.0)) for cid, score in head]
    return sorted(head, key=lambda item: (-item[1], item[0])) + tail


def keep_confident(
    fused: list[tuple[int, float]], nearest: Sequence[tuple[int, float]], k: int
) -> list[tuple[int, float]]:
    """The nearest chunk moved up to the last of the top k when it is a confident semantic match
    (within CONFIDENT_DISTANCE) that the full-text half disagreed with: fusion never drops it."""
    if not nearest or nearest[0][1] > CONFIDENT_DISTANCE or len(fused) <= k:
        return fused
    best = nearest[0][0]
    ids = [cid for cid, _ in fused]
    if best in ids[:k]:
        return fused
    rest = [item for item in fused if item[0] != best]
    return [*rest[: k - 1], (best, rest[k - 2][1] if k > 1 else rest[0][1]), *rest[k - 1 :]]


def listings_last(fused: list[tuple[int, float]], listings: set[int]) -> list[tuple[int, float]]:
    """The fused ranking with contents, index and list-of-figures chunks after every body chunk:
    such a page names the topic of nearly any question, and answers none."""
    return [item for item in fused if item[0] not in listings] + [
        item for item in fused if item[0] in listings
    ]


def load_hits(
    tenant: Tenant,
    documents: Iterable[Any] | None,
    fused: list[tuple[int, float]],
    distances: dict[int, float],
    query: str,
    k: int,
) -> list[Hit]:
    """The best `k` of the fused candidates as hits, contents and index chunks after body chunks
    (one query loads the candidates with their flag)."""
    chunks = {chunk.id: chunk for chunk in chunks_by_id(tenant, [cid for cid, _ in fused], documents)}
    ranked = listings_last(
        [item for item in fused if item[0] in chunks], {c for c in chunks if chunks[c].contents}
    )
    return [make_hit(chunks[cid], score, distances.get(cid), query) for cid, score in ranked[:k]]


@dataclass(frozen=True)
class Candidate:
    """A chunk as a hit is made from it, with its document's public id and title. Not a model
    instance: building two of those per candidate (a Chunk and its Document, every field's
    default looked up) was a fifth of a turn's Python (cProfile, bench/turn_cost.py)."""

    id: int
    document_id: int
    text: str
    page_start: int
    page_end: int
    token_count: int
    page_breaks: list[list[int]] | None
    contents: bool
    document_public_id: str
    title: str


def chunks_by_id(
    tenant: Tenant, ids: Sequence[int], documents: Iterable[Any] | None = None
) -> list[Candidate]:
    """The tenant's chunks with these ids (of `documents`, if given), each with its document's
    title and public id: one hand-written query, which the ORM took longer to compile than to run."""
    if not ids:
        return []
    scope = document_ids(documents)
    params: dict[str, Any] = {"tenant": tenant.pk, "ids": list(ids), "documents": scope}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id, c.document_id, c.text, c.page_start, c.page_end, c.token_count,"  # noqa: S608
            " c.page_breaks, c.contents, d.public_id, d.title"
            " FROM documents_chunk c JOIN documents_document d ON d.id = c.document_id"
            " WHERE c.tenant_id = %(tenant)s AND d.tenant_id = %(tenant)s AND c.id = ANY(%(ids)s)"
            + (" AND c.document_id = ANY(%(documents)s)" if scope else ""),
            params,
        )
        rows = cursor.fetchall()
    return [
        Candidate(*first, parsed(breaks), contents, str(public_id), title)
        for *first, breaks, contents, public_id, title in rows
    ]


def parsed(value: Any) -> Any:
    """A JSON column's value as Django's connection returns it (text), parsed."""
    return json.loads(value) if isinstance(value, str) else value


def make_hit(chunk: Candidate, score: float, distance: float | None, query: str) -> Hit:
    hit = Hit(
        chunk_id=chunk.id,
        document_id=chunk.document_id,
        document_public_id=chunk.document_public_id,
        title=chunk.title,
        text=chunk.text,
        page_start=chunk.page_start,
        page_end=chunk.page_end,
        token_count=chunk.token_count,
        score=score,
        distance=distance,
        snippet="",
        page_breaks=tuple((int(at), int(page)) for at, page in chunk.page_breaks or ()),
    )
    sentences = sentences_of(chunk.text)
    return focused(hit, sentences, best_sentence(sentences, question_words(query)) if sentences else 0)


def focused(hit: Hit, sentences: Sequence[str], best: int) -> Hit:
    """The hit with its snippet, passage and page taken from sentence `best` of its text."""
    flat = " ".join(sentences)
    start = len(" ".join(sentences[:best])) + (1 if best else 0)
    return replace(
        hit,
        snippet=snippet_at(flat, start),
        passage=passage_from(sentences[best:]),
        page=page_at(hit.page_start, flat_breaks(hit.text, hit.page_breaks), start),
    )


def refocus(hits: Sequence[Hit], question: str, embedder: Embedder) -> list[Hit]:
    """The hits focused on the sentence nearest the question in meaning (the embedder's), with a
    shared word as the tie-breaker: one batch of embeddings for every sentence of every hit."""
    split = [sentences_of(hit.text) for hit in hits]
    texts = [question, *(sentence for sentences in split for sentence in sentences)]
    if len(texts) == 1:
        return list(hits)
    vectors_ = embedder.embed(texts).vectors
    query, rest = vectors_[0], iter(vectors_[1:])
    words = question_words(question)
    result = []
    for hit, sentences in zip(hits, split, strict=True):
        if not sentences:
            result.append(hit)
            continue
        scores = [
            sum(a * b for a, b in zip(query, next(rest), strict=True))
            + SHARED_WORD_BONUS * len(words & set(WORD.findall(sentence.lower())))
            for sentence in sentences
        ]
        result.append(focused(hit, sentences, max(range(len(sentences)), key=lambda i: (scores[i], -i))))
    return result


def flat_breaks(text: str, breaks: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The page breaks of `text` as offsets in its whitespace-collapsed form (sentences_of's)."""
    result: list[tuple[int, int]] = []
    flat_length, previous = 0, 0
    for at, page in breaks:
        segment = " ".join(text[previous:at].split())
        flat_length += len(segment) + (1 if segment and flat_length else 0)
        result.append((flat_length + (1 if flat_length else 0), page))
        previous = at
    return result


def question_words(question: str) -> set[str]:
    return {w for w in WORD.findall(question.lower()) if w not in STOPWORDS}


def sentences_of(text: str) -> list[str]:
    return [s for s in SENTENCE.split(" ".join(text.split())) if s]


def best_sentence(sentences: Sequence[str], words: set[str]) -> int:
    """The index of the sentence that shares most words with the question (the first of equals)."""

    def shared(i: int) -> tuple[int, int]:
        return len(words & set(WORD.findall(sentences[i].lower()))), -i

    return max(range(len(sentences)), key=shared)


def passage_from(sentences: Sequence[str]) -> str:
    """The first sentence and those after it, up to about PASSAGE_WORDS words (cut with " …")."""
    words: list[str] = []
    for sentence in sentences:
        words.extend(sentence.split())
        if len(words) >= PASSAGE_WORDS // 2:
            break
    return " ".join(words[:PASSAGE_WORDS]) + (" …" if len(words) > PASSAGE_WORDS else "")


def snippet(text: str, query: str, size: int = SNIPPET_CHARS) -> str:
    """About `size` characters of `text` from the sentence that shares most words with the question."""
    sentences = sentences_of(text)
    if not sentences:
        return ""
    best = best_sentence(sentences, question_words(query))
    return snippet_at(" ".join(sentences), len(" ".join(sentences[:best])) + (1 if best else 0), size)


def snippet_at(flat: str, start: int, size: int = SNIPPET_CHARS) -> str:
    """About `size` characters of `flat` from `start` (moved back when it is near the end)."""
    if len(flat) <= size:
        return flat
    tail = len(flat) - size
    if start > tail:  # near the end: the last `size` characters, from the start of a word
        space = flat.find(" ", tail)
        start = space + 1 if space >= 0 else tail
    cut = flat[start : start + size]
    cut = cut[: cut.rfind(" ")] if start + size < len(flat) and " " in cut else cut
    return ("…" if start else "") + cut + ("…" if start + len(cut) < len(flat) else "")

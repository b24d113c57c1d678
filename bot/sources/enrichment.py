"""Feed items finished like parsed files: categories plus inferred tags, enrichment, hash.

A feed's categories are given metadata and win; a category naming a coin becomes its
ticker as a file's stated tag does ("Bitcoin" -> BTC), coin and topic tags found in the
text are added to them (feeds tag loosely: "Markets", "News"), and whatever the feed did
not give (sentiment, tags when it had no categories) is inferred and recorded as such.
"""

from __future__ import annotations

from bot.enrich.enrich import enrich_article, infer_tags
from bot.ingest.identity import content_hash
from bot.ingest.parse import canonical_tags
from bot.models import Article
from bot.sources.rss import MappedItem


def finish_item(item: MappedItem) -> Article:
    """The article to hand to ``IngestPipeline.ingest_article``."""
    article = item.article
    if "tags" in item.given:
        found = infer_tags(f"{article.title}\n{article.summary}\n{article.body}")
        article.tags = tuple(dict.fromkeys((*canonical_tags(article.tags), *found)))
    enriched = enrich_article(article, item.given)
    enriched.content_hash = content_hash(enriched)
    return enriched

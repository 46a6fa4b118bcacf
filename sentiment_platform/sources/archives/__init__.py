"""Archives in: files of posts from any year (CSV, JSON lines, each network's native JSON) turned
into landing batches, per hour, under content-derived names (``sentiment-platform import``)."""

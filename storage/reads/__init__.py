"""Read views: what a case holds (its card), and the live name-search index."""

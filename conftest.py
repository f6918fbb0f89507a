"""Repository-wide pytest settings: what doctest collection must not import."""

collect_ignore = ["micrograd_lr/__main__.py"]

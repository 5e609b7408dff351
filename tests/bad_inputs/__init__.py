"""The table-driven bad-input suite: the world it runs in, the files it sends, the cases."""

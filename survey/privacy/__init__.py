"""Privacy: the retention purge, requests of access and erasure, and their commands.

See docs/privacy.md for what personal data the engine stores, why and for how long.
"""

"""The log pages: a round's events, and every event a user may read."""

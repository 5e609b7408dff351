"""Mail: the durable outbox, its delivery worker and the `survey outbox` commands."""

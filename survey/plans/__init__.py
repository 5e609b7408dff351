"""The plan (*Aktivitets- och tidplan*): every indicator followed against its targets."""

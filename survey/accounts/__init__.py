"""Accounts of process leaders, readers and administrators: login, roles, administration."""

"""Rounds: settings, recipients, personal links, reminders, status, access, pages and commands."""

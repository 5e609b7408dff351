"""Responses: drafts, submissions and amendments of a respondent's answers."""

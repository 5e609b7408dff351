"""Answering: the respondent's form from a personal link, and the questionnaire preview."""

"""Benchmarks: scripts that generate realistic data, run the project's path and a raw floor.

Each benchmark prints its figures; none of them is a test. `tests.realistic_data` generates the data
they share (the shipped NV questionnaire, Skåne's organisations, answers with drafts,
amendments and *Ej aktuellt*) in a scratch database.
"""

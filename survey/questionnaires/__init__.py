"""Questionnaires: the YAML language, the validated model, the answer rules, stored versions."""

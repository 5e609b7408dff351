"""Lokal samverkan: from the Bilaga 1 inventory to the living Bilaga 2 action plan (seed 000).

`vocabulary` holds the words of the documents (the four Bilaga 2 questions, steps 3–5, the
Socialstyrelsen indicators, the maturity scale of seed 002); `links` the group's personal
link; `groups` and `plan` the changes (each audited and kept in the edit history);
`checking` turns posted text into values or Swedish problems; `overview` and `reminders`
what the process leader sees and what the contact is reminded of; `mailing` the outbox;
`workbook` the Excel export; `contact_pages` and `leader_pages` the pages, `commands` the
`survey group` commands.
"""

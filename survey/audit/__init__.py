"""The audit log: who created, opened, closed, exported, revoked, imported or changed what.

Every action writes an `AuditEvent` in the same transaction as the change it records
(`survey.audit.recording.record_audit`); `survey.audit.reading` says who may read which
events and reads them a page at a time. The log pages are `survey.audit_pages`.
"""

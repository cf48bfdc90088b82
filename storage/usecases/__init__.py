"""Use cases: every change an organizer or subscriber makes, each in one transaction
with its audit entry and its alerts."""

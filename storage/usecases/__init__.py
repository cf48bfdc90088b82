"""Use cases: every change an organizer or subscriber makes, each one transaction with its audit and its alerts."""

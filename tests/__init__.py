"""casebot's tests: unit tests and end-to-end tests against a local Bot API server."""

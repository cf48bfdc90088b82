"""File formats: the YAML case file, CSV, and their import and export."""

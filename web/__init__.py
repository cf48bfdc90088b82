"""casebot's web server: the public pages and the organizers' Mini App."""

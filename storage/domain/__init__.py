"""Pure domain logic, no database: names and their scripts, name search, the sentence rule."""

"""CloudEvents the functions receive: parsing only, no use-case logic."""

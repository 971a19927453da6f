"""The HTTP edge shared by the Chalice functions: problem+json errors, body parsing, middleware."""

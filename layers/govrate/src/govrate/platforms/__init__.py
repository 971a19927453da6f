"""Regional platforms: who they are (the registry), how they prove it (RFC 9421 HTTP Message
Signatures with an HMAC key each), and what they may post (their regions)."""

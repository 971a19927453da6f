"""Who is asking: staff actors, roles, divisions, sign-in and token checks, and authorization."""

"""Per-region rules: evaluation policy and case rules."""

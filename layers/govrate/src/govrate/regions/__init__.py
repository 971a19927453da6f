"""Per-region rules: one document per division (evaluation policy, case deadlines, calendar), one reader."""

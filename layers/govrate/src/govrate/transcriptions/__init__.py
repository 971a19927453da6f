"""Paper forms transcribed by staff."""

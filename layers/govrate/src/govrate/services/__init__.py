"""Services hold the rules; they take their repositories as arguments."""

"""Evaluations from every channel: the submission contracts, the intake service, the evaluation and
follow-up stores, and the outbox that relays negative reviews."""

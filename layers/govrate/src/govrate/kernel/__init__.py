"""What every feature shares: the rating scale, the clock, domain errors, administrative divisions,
the indicator set, signed tokens and QR codes, settings, and the contract base."""

"""The upstream relay: a stage sends the facts of every accepted evaluation and every case state change
to the Govrate of the level above (city → province → national), signed like a regional platform, and
the upstream stores what its downstreams relay. Personal data never crosses (docs/relay.md)."""

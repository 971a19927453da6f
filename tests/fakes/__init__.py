"""In-memory stores for unit tests: each honours the conditional writes of its DynamoDB adapter (a key
is claimed once, a replay is told from a conflict, a change is stored only on the version it read),
so the domain rules can be tested without moto. `FakeWorld` wires them like `govrate.runtime`."""

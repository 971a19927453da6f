"""The local stack behind `make dev`: moto in server mode, resources created from the synthesized CDK
template, the HTTP functions on Chalice's local server, and stream, queue and schedule events
delivered to the same handlers that Lambda invokes. See docs/local-stack.md."""

"""The closed loop of a bad review: deadlines on the working-day calendar, the case state machine,
the hash-chained audit trail, staff and supervisor authorisation, and the services that tie them."""

"""The service catalogue (事项清单): items, the store, the read service and the import command."""

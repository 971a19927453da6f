"""The evaluation data lake: the export schema, the partition store and the analyze service."""

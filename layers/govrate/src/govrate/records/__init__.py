"""Service records registered by agency systems, the sweep that invites applicants, and invitations."""

"""What the citizen pages show and accept: the rating service and its page models."""

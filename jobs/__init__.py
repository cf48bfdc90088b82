"""The scheduler's work: the reminder planner and the delivery dispatcher."""

"""HTTP layer: middleware and blueprints grouped by audience."""

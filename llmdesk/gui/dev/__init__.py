"""The dev wing of the window."""

"""The chat wing of the window."""

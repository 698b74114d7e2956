"""The conversations wing of the window."""

"""The export wing of the window."""

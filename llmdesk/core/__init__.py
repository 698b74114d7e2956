"""Plain-Python core: settings, conversations, the store and export. Imports neither Qt nor torch."""

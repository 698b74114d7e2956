"""The inference engine: transformers + torch, no Qt.

Only :mod:`llmdesk.engine.types` and :mod:`llmdesk.engine.errors` are light; every other module imports torch.
The GUI imports the light ones at start-up and the rest on its worker thread, after the window is shown.
"""

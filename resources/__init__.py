"""Icons, style sheets and desktop files, installed as ``llmdesk.resources``; read them with importlib.resources."""

"""The desktop window (the only package that imports PySide6).

``app`` sets up the application and the window; ``window`` holds the chat window; ``controller`` owns the model
thread and the requests; ``worker`` runs the engine on that thread; ``chat_view`` and ``message_renderer``
show streamed Markdown (split by ``llmdesk.core.markdown_blocks``); ``composer`` and ``settings_panel`` take the user's input.
"""

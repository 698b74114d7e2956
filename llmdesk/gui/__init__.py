"""The desktop window (the only package that imports PySide6).

``app`` sets up the application and the window; ``window`` holds the chat window; ``controller`` owns the model
thread and the requests; ``worker`` runs the engine on that thread; ``chat_view``, ``message_renderer`` and
``markdown_stream`` show streamed Markdown; ``composer`` and ``settings_panel`` take the user's input.
"""

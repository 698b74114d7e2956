"""Engine errors: each carries a ``kind`` the GUI can act on and a message a person can read. No torch here."""

from __future__ import annotations


class EngineError(Exception):
    """A failure the user must be told about.

    Attributes:
        kind: one of "not_found", "offline", "not_causal_lm", "out_of_memory", "device_unavailable",
            "too_large", "prompt_too_long", "bad_settings", "load_failed", "generation_failed", "no_model",
            "download_failed", "cancelled", "not_downloaded", "chat_template"; for remote servers also "unreachable",
            "unauthorized", "model_missing", "no_models", "rate_limited", "server_busy", "bad_request",
            "server_error", "stalled", "stream_cut", "bad_response".
        hint: what the user can do next (may be empty).
    """

    def __init__(self, kind: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.hint = hint

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text} {self.hint}".strip() if self.hint else text


class PromptTooLongError(EngineError):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__("prompt_too_long", message, hint)


class ChatTemplateError(EngineError):
    """The model's chat template refused the messages (it raised); the message quotes the template's own text."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__("chat_template", message, hint)

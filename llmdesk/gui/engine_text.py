"""Engine (and core) messages in the interface language.

The engine is plain Python and writes its errors, hints and progress notes in English (the command line prints
them as they are). The window translates them here, at the GUI boundary: each message the engine can produce is
listed below as a template whose ``{name}`` fields stand for the parts that vary (a model id, a path, a size); a
message that matches a template is shown with the translated template, the fields filled with the same parts. A
message with no template (a new one, or one quoting a library's own error) is shown as it is.

Templates are matched whole. A message followed by its hint (``str(EngineError)``) is split at a sentence end
and each part translated.
"""

from __future__ import annotations

import functools
import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

TEMPLATES = [
    # download.py
    QT_TRANSLATE_NOOP("engine", "'{model}' is not in the local Hugging Face cache and the Hub ({hub}) cannot be "
                                "reached: {reason}."),
    QT_TRANSLATE_NOOP("engine", "Connect to the internet to download it, or choose a local model folder."),
    QT_TRANSLATE_NOOP("engine", "No model given."),
    QT_TRANSLATE_NOOP("engine", "Type a Hub id such as org/name, or choose a folder."),
    QT_TRANSLATE_NOOP("engine", "'{model}' is neither an existing folder nor a Hugging Face Hub id."),
    QT_TRANSLATE_NOOP("engine", "A Hub id looks like org/name; a folder must exist and hold config.json."),
    QT_TRANSLATE_NOOP("engine", "{model} has no config.json and safetensors/PyTorch weights on the Hub."),
    QT_TRANSLATE_NOOP("engine", "Pick a repo that holds a transformers model (not only GGUF or ONNX files)."),
    QT_TRANSLATE_NOOP("engine", "The folder {folder} does not exist."),
    QT_TRANSLATE_NOOP("engine", "Choose an existing model folder."),
    QT_TRANSLATE_NOOP("engine", "The folder {folder} has no config.json, so it is not a transformers model."),
    QT_TRANSLATE_NOOP("engine", "Choose the folder that holds config.json, the tokenizer files and the weights."),
    QT_TRANSLATE_NOOP("engine", "The folder {folder} has no tokenizer (tokenizer.json or tokenizer.model)."),
    QT_TRANSLATE_NOOP("engine", "Copy the tokenizer files from the model's repo into the folder."),
    QT_TRANSLATE_NOOP("engine", "The folder {folder} has no complete set of weights (model.safetensors, its "
                                "shards, or pytorch_model.bin)."),
    QT_TRANSLATE_NOOP("engine", "Finish copying the model, or choose another folder."),
    QT_TRANSLATE_NOOP("engine", "{model} was downloaded but its weights are incomplete in {folder}."),
    QT_TRANSLATE_NOOP("engine", "Try the download again."),
    QT_TRANSLATE_NOOP("engine", "The Hub sent no ETag for {file}, so it cannot be cached."),
    QT_TRANSLATE_NOOP("engine", "{file} is being downloaded by another program (lock {lock})."),
    QT_TRANSLATE_NOOP("engine", "Wait for it to finish, then try again."),
    QT_TRANSLATE_NOOP("engine", "{file}: received {actual} bytes, the Hub said {size}."),
    QT_TRANSLATE_NOOP("engine", "Try the download again; it continues from what is on disk."),
    QT_TRANSLATE_NOOP("engine", "{file} is corrupt: its checksum does not match the Hub's."),
    QT_TRANSLATE_NOOP("engine", "The broken file was removed; try the download again."),
    QT_TRANSLATE_NOOP("engine", "Not enough disk space: the download needs {needed}, {free} is free in {folder}."),
    QT_TRANSLATE_NOOP("engine", "Free some space, or set HF_HOME to a folder on a larger disk."),
    QT_TRANSLATE_NOOP("engine", "{model} is not in the Hugging Face cache ({cache}) and offline mode is on "
                                "(HF_HUB_OFFLINE), so it cannot be downloaded."),
    QT_TRANSLATE_NOOP("engine", "Go online and unset HF_HUB_OFFLINE to download it, or choose a local model "
                                "folder."),
    QT_TRANSLATE_NOOP("engine", "{model} is a gated model: its license must be accepted before download."),
    QT_TRANSLATE_NOOP("engine", "Accept it on the model's Hub page, then log in with `hf auth login`."),
    QT_TRANSLATE_NOOP("engine", "{model} was not found on the Hugging Face Hub (or it is private)."),
    QT_TRANSLATE_NOOP("engine", "Check the spelling (org/name), or log in with `hf auth login` for a private "
                                "model."),
    QT_TRANSLATE_NOOP("engine", "{model}: that revision (branch, tag or commit) does not exist."),
    QT_TRANSLATE_NOOP("engine", "{model}: a file is missing on the Hub."),
    QT_TRANSLATE_NOOP("engine", "The Hugging Face Hub answered with an error for {model}: {error}"),
    QT_TRANSLATE_NOOP("engine", "Try again later."),
    QT_TRANSLATE_NOOP("engine", "Could not reach {hub} for {model}: {error}."),
    QT_TRANSLATE_NOOP("engine", "Check the network connection and try again (the download continues where it "
                                "stopped), or choose a local model folder."),
    QT_TRANSLATE_NOOP("engine", "Could not write {model} to the disk: {error}."),
    QT_TRANSLATE_NOOP("engine", "Check free space and permissions of the Hugging Face cache folder (HF_HOME)."),
    QT_TRANSLATE_NOOP("engine", "Download of {model} failed: {error}"),
    QT_TRANSLATE_NOOP("engine", "Download again to continue where it stopped."),
    # loader.py
    QT_TRANSLATE_NOOP("engine", "Out of memory while loading '{model}' on {device}."),
    QT_TRANSLATE_NOOP("engine", "Choose a smaller precision (bfloat16/float16), another device, 'balanced' to "
                                "offload to the CPU, or a smaller model."),
    QT_TRANSLATE_NOOP("engine", "'{model}' is a gated model on the Hugging Face Hub."),
    QT_TRANSLATE_NOOP("engine", "Accept its licence on the Hub and log in with `hf auth login`, or pick a local "
                                "folder."),
    QT_TRANSLATE_NOOP("engine", "Model '{model}' was not found: it is neither a local folder with a config.json "
                                "nor a model id on the Hugging Face Hub."),
    QT_TRANSLATE_NOOP("engine", "Check the spelling (org/name), or choose a local folder with Browse…."),
    QT_TRANSLATE_NOOP("engine", "'{model}' is not in the local Hugging Face cache and the Hub cannot be reached "
                                "(offline)."),
    QT_TRANSLATE_NOOP("engine", "'{model}' has no model weights or config that transformers can read ({error})."),
    QT_TRANSLATE_NOOP("engine", "Choose a folder saved with save_pretrained()."),
    QT_TRANSLATE_NOOP("engine", "Device {device} cannot be used: {error}"),
    QT_TRANSLATE_NOOP("engine", "Choose another device, or Auto."),
    QT_TRANSLATE_NOOP("engine", "Loading '{model}' failed: {error}"),
    QT_TRANSLATE_NOOP("engine", "The folder '{folder}' does not exist."),
    QT_TRANSLATE_NOOP("engine", "Choose an existing model folder, or type a Hub id such as {model}."),
    QT_TRANSLATE_NOOP("engine", "The folder '{folder}' has no config.json, so it is not a transformers model "
                                "folder."),
    QT_TRANSLATE_NOOP("engine", "Choose the folder that holds config.json and the weights."),
    QT_TRANSLATE_NOOP("engine", "'{model}' is not downloaded yet, so its size in memory is not known."),
    QT_TRANSLATE_NOOP("engine", "Download it first; its download size is shown."),
    QT_TRANSLATE_NOOP("engine", "'{model}' is a {kind} model, not a causal language model that can chat."),
    QT_TRANSLATE_NOOP("engine", "Choose a text-generation (causal LM) model, such as an *-Instruct model."),
    QT_TRANSLATE_NOOP("engine", "Loading was cancelled."),
    QT_TRANSLATE_NOOP("engine", "No model is set."),
    QT_TRANSLATE_NOOP("engine", "Type a Hub id or choose a local folder."),
    QT_TRANSLATE_NOOP("engine", "'{model}' will not fit: {estimate}"),
    QT_TRANSLATE_NOOP("engine", "Choose a smaller precision, another device or 'balanced', or tick \"Load even if "
                                "it may not fit\"."),
    QT_TRANSLATE_NOOP("engine", "'{model}' has no chat template, so it is a base model rather than a chat model."),
    QT_TRANSLATE_NOOP("engine", "Choose an instruct/chat variant of the model."),
    QT_TRANSLATE_NOOP("engine", "Reading the configuration of {model}"),
    QT_TRANSLATE_NOOP("engine", "Loading weights onto {device} in {dtype}"),
    # session.py, devices.py, prompt.py
    QT_TRANSLATE_NOOP("engine", "No model is loaded."),
    QT_TRANSLATE_NOOP("engine", "Load a model first."),
    QT_TRANSLATE_NOOP("engine", "Out of memory while generating: {error}"),
    QT_TRANSLATE_NOOP("engine", "Lower max new tokens, shorten the conversation, or load in a smaller precision."),
    QT_TRANSLATE_NOOP("engine", "Generation failed: {error}"),
    QT_TRANSLATE_NOOP("engine", "Device '{device}' is not available on this machine."),
    QT_TRANSLATE_NOOP("engine", "Available: {devices}. Choose one of those, or Auto."),
    QT_TRANSLATE_NOOP("engine", "bfloat16 needs macOS 14 or newer on MPS."),
    QT_TRANSLATE_NOOP("engine", "Use float16."),
    QT_TRANSLATE_NOOP("engine", "There is no message to answer."),
    QT_TRANSLATE_NOOP("engine", "max_new_tokens ({tokens}) leaves no room for the prompt in the model's context "
                                "window of {window} tokens."),
    QT_TRANSLATE_NOOP("engine", "Set max new tokens below {window}."),
    # devices.py: the memory estimate (also quoted in the "will not fit" error)
    QT_TRANSLATE_NOOP("engine", "Needs about {needed} on {device} in {dtype} ({weights} of weights, {cache} of "
                                "cache for a full context); {free} free: {verdict}."),
    QT_TRANSLATE_NOOP("engine", "fits"),
    QT_TRANSLATE_NOOP("engine", "does NOT fit"),
    QT_TRANSLATE_NOOP("engine", "unknown"),
    QT_TRANSLATE_NOOP("engine", "ready"),
    # gui/chat/worker.py and controller.py: failures reported through the same signals as the engine's
    QT_TRANSLATE_NOOP("engine", "Unexpected error: {error}"),
    QT_TRANSLATE_NOOP("engine", "Loading stopped unexpectedly."),
    QT_TRANSLATE_NOOP("engine", "The reply stopped unexpectedly."),
    QT_TRANSLATE_NOOP("engine", "This engine has no raw completion."),
    QT_TRANSLATE_NOOP("engine", "This engine cannot continue from a chosen token."),
    QT_TRANSLATE_NOOP("engine", "No memory estimate: {message}"),
    QT_TRANSLATE_NOOP("engine", "The model engine is not available."),
    QT_TRANSLATE_NOOP("engine", "Check that torch and transformers are installed, then restart llmdesk."),
    QT_TRANSLATE_NOOP("engine", "No model is loaded in the window."),
    QT_TRANSLATE_NOOP("engine", "The model thread is not running."),
    QT_TRANSLATE_NOOP("engine", "This reply has no saved tokens to continue from."),
    QT_TRANSLATE_NOOP("engine", "the model's tokenizer is not on this machine yet"),
]

#: Texts from :mod:`llmdesk.core` the window shows: stop reasons, and what the settings loader says about a bad
#: settings file (shown in the banner at start).
CORE_TEMPLATES = [
    QT_TRANSLATE_NOOP("core", "Stopped at the token limit"),
    QT_TRANSLATE_NOOP("core", "Ended at a stop sequence"),
    QT_TRANSLATE_NOOP("core", "Stopped"),
    QT_TRANSLATE_NOOP("core", "Failed"),
    QT_TRANSLATE_NOOP("core", "The settings file {path} cannot be checked ({error}); using the defaults for this "
                              "session."),
    QT_TRANSLATE_NOOP("core", "The settings file {path} could not be read ({reason}). It was moved to {name} and the "
                              "defaults are in use."),
    QT_TRANSLATE_NOOP("core", "Some settings in {path} were not valid; those use their defaults, the others were "
                              "kept. The original file was moved to {name}:"),
    QT_TRANSLATE_NOOP("core", "(a fresh settings file could not be written: {error})"),
    QT_TRANSLATE_NOOP("core", "{field}: unknown setting, ignored"),
    QT_TRANSLATE_NOOP("core", "{field}: a decoding setting outside a valid decoding section, ignored"),
    QT_TRANSLATE_NOOP("core", "{error} (using the default)"),
    QT_TRANSLATE_NOOP("core", "{field}: must be from {low} to {high}, not {value}"),
    QT_TRANSLATE_NOOP("core", "{field}: must be a number from {low} to {high}, not {value}"),
    QT_TRANSLATE_NOOP("core", "{field}: must be a whole number from {low} to {high}, not {value}"),
    QT_TRANSLATE_NOOP("core", "{field}: must be true or false, not {value}"),
    QT_TRANSLATE_NOOP("core", "{field}: must be text, not {value}"),
    QT_TRANSLATE_NOOP("core", "{field}: must be one of {choices}, not {value}"),
    QT_TRANSLATE_NOOP("core", "{field}: a value is required"),
    QT_TRANSLATE_NOOP("core", "{field}: must be a number from {low} to {high}"),
    QT_TRANSLATE_NOOP("core", "{field}: must be a whole number from {low} to {high}"),
]

_FIELD = re.compile(r"\{(\w+)\}")


@functools.cache
def _patterns() -> list[tuple[re.Pattern[str], str, str]]:
    out = []
    for context, templates in (("engine", TEMPLATES), ("core", CORE_TEMPLATES)):
        for template in templates:
            parts = _FIELD.split(template)  # literal, name, literal, name, ...
            regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts))
            out.append((re.compile(regex, re.S), context, template))
    return out


def _translate_one(text: str) -> str | None:
    for pattern, context, template in _patterns():
        match = pattern.fullmatch(text)
        if match:
            translated = QCoreApplication.translate(context, template)
            try:
                fields = {name: _translate_one(value) or value for name, value in match.groupdict().items()}
                return translated.format(**fields)
            except (KeyError, IndexError, ValueError):  # a translation with a broken field: keep the source
                return text
    return None


def translate_engine_text(text: str) -> str:
    """``text`` (an engine message, hint, or message and hint joined by a space; or a text from core listed in
    :data:`CORE_TEMPLATES`) in the interface language; the text as it is when no template matches."""
    if not text:
        return text
    whole = _translate_one(text.strip())
    if whole is not None:
        return whole
    # "message hint": try each sentence end as the split point
    for match in re.finditer(r"[.)] ", text):
        head, tail = text[:match.end() - 1], text[match.end():]
        first = _translate_one(head)
        if first is not None:
            second = _translate_one(tail)
            if second is not None:
                return f"{first} {second}"
    return text


def describe_estimate(estimate: object) -> str:
    """A memory estimate (:class:`llmdesk.engine.devices.MemoryEstimate`, or anything with a ``message``) as one
    sentence in the interface language; its English ``message`` when it lacks the fields."""
    from llmdesk.gui.i18n import format_bytes

    try:
        needed, weights = estimate.needed_bytes, estimate.weight_bytes  # type: ignore[attr-defined]
        cache = estimate.cache_bytes  # type: ignore[attr-defined]
        available, device, dtype, fits = (estimate.available_bytes, estimate.device,  # type: ignore[attr-defined]
                                          estimate.dtype, estimate.fits)  # type: ignore[attr-defined]
    except AttributeError:
        return translate_engine_text(str(getattr(estimate, "message", estimate)))
    free = format_bytes(available) if available is not None else QCoreApplication.translate("engine", "unknown")
    text = QCoreApplication.translate("engine", "Needs about {needed} on {device} in {dtype} ({weights} of "
                                                "weights, {cache} of cache for a full context); {free} free: "
                                                "{verdict}.")
    verdict = (QCoreApplication.translate("engine", "fits") if fits
               else QCoreApplication.translate("engine", "does NOT fit"))
    return text.format(needed=format_bytes(needed), device=device, dtype=dtype, weights=format_bytes(weights),
                       cache=format_bytes(cache), free=free, verdict=verdict)

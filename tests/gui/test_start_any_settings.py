"""The window starts with any valid settings and gives them back unchanged: the settings panel never rounds,
clamps or otherwise rewrites a value it was given (property-based, scripted engine)."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings, strategies as st

from llmdesk.core.settings import DTYPES, DecodingSettings, ModelSettings, Settings, field_spec
from llmdesk.gui.app import build_window
from llmdesk.gui.dev.scripted_engine import ScriptedEngine
from llmdesk.gui.chat.worker import EngineBackend

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)


def _number(name: str) -> st.SearchStrategy:
    meta = field_spec(DecodingSettings, name)
    if isinstance(getattr(DecodingSettings(), name), int):
        return st.integers(min_value=int(meta["min"]), max_value=int(meta["max"]))
    return st.floats(min_value=meta["min"], max_value=meta["max"], allow_nan=False, allow_infinity=False)


decodings = st.builds(
    DecodingSettings, do_sample=st.booleans(), temperature=_number("temperature"), top_p=_number("top_p"),
    top_k=_number("top_k"), min_p=_number("min_p"), repetition_penalty=_number("repetition_penalty"),
    max_new_tokens=_number("max_new_tokens"),
    seed=st.one_of(st.none(), st.integers(min_value=0, max_value=2**32 - 1)),
    stop_sequences=st.lists(text.filter(lambda s: s.strip() != "" and "\n" not in s and "\\" not in s),
                            max_size=3))
models = st.builds(ModelSettings, model=text.filter(lambda s: s.strip() != ""), device=st.sampled_from(
    ["auto", "cpu", "cuda:0", "banana"]), dtype=st.sampled_from(DTYPES), trust_remote_code=st.booleans(),
    skip_memory_check=st.booleans())
all_settings = st.builds(Settings, model=models, decoding=decodings, system_prompt=text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(original=all_settings)
def test_window_starts_with_any_valid_settings_and_saves_them_unchanged(qtbot, original):
    saved: list[Settings] = []
    engine = ScriptedEngine()
    backend = lambda: EngineBackend(make_engine=lambda: engine, list_devices=engine.list_devices)  # noqa: E731
    window = build_window(original.copy(), backend_factory=backend, open_default_store=False,
                          save=lambda s: saved.append(s.copy()), remember_geometry=False, autoload=False)
    qtbot.addWidget(window)
    window.show()
    window.settings_panel.flush_pending()  # what a send or a close does: every field is checked again
    assert window.settings_panel.invalid_fields() == []
    window.close()
    assert saved, "closing saves the settings"
    assert dataclasses.asdict(saved[-1].decoding) == dataclasses.asdict(original.decoding)
    assert saved[-1].system_prompt == original.system_prompt
    assert saved[-1].model == original.model

"""Drives a real llmdesk window through the AT-SPI accessibility bus alone, for tests/gui/test_atspi.py.

Run inside a D-Bus session and an X display (``dbus-run-session -- xvfb-run -a PYTHON atspi_driver.py APP...``)
with a Python that has ``pyatspi`` (e.g. Debian's python3-pyatspi under /usr/bin/python3); ``APP...`` is the
command that starts the window (tests/support/window_child.py with QT_QPA_PLATFORM=xcb and
QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1 in the environment). It finds the controls by their accessible role and name,
opens the settings panel through the menu's action, types a message through the message box's editable-text
interface, presses Send through its action interface, and waits for the reply. It prints one JSON object on its
last line: {"found": {...}, "steps": [...], "user_text": str, "reply_text": str, "reply_name": str,
"stop_seen": bool, "error": str | null}.

This file imports only the standard library and pyatspi: it runs under the system Python, not llmdesk's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pyatspi  # type: ignore[import-not-found]

PROMPT = "Hello from the accessibility bus"
# A finished message's text is read-only: Qt shows it as a label (or text) with the Text interface.
TEXT_ROLES = ("text", "label", "paragraph", "document text", "static")
SETTINGS_FIELDS = ("Temperature", "Top-p", "Top-k", "Min-p", "Repetition penalty", "Max new tokens", "Seed",
                   "Stop sequences", "System prompt", "Model")


def walk(node, depth: int = 0):
    """Every accessible under ``node`` (depth first)."""
    if node is None or depth > 60:
        return
    yield node
    try:
        count = node.childCount
    except Exception:  # noqa: BLE001 - a node that went away while walking
        return
    for i in range(count):
        try:
            child = node.getChildAtIndex(i)
        except Exception:  # noqa: BLE001
            continue
        yield from walk(child, depth + 1)


def find(app, role: str | tuple[str, ...], name: str | None = None, *, prefix: bool = False):
    roles = (role,) if isinstance(role, str) else role
    for node in walk(app):
        try:
            if node.getRoleName() not in roles:
                continue
            if name is None or node.name == name or (prefix and node.name.startswith(name)):
                return node
        except Exception:  # noqa: BLE001
            continue
    return None


EVENTS: list[str] = []


def _pump() -> None:
    """Deliver AT-SPI events received so far to the listeners (the GLib main context, without a main loop)."""
    try:
        from gi.repository import GLib  # type: ignore[import-not-found]
    except ImportError:
        return
    context = GLib.MainContext.default()
    while context.pending():
        context.iteration(False)


def _on_event(event) -> None:
    detail = getattr(event, "any_data", None)
    EVENTS.append(f"{event.type}: {detail if isinstance(detail, str) else ''}")


def wait_for(predicate, timeout: float, step: float = 0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        _pump()
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def text_of(node) -> str:
    text = node.queryText()
    return text.getText(0, text.characterCount)


def do_action(node, wanted: tuple[str, ...] = ("press", "click", "activate", "toggle", "showMenu")) -> str:
    action = node.queryAction()
    names = [action.getName(i) for i in range(action.nActions)]
    for i, name in enumerate(names):
        if name in wanted:
            action.doAction(i)
            return name
    if names:
        action.doAction(0)
        return names[0]
    raise RuntimeError(f"{node.getRoleName()} {node.name!r} has no action")


def main(argv: list[str]) -> int:
    result: dict = {"found": {}, "steps": [], "user_text": "", "reply_text": "", "reply_name": "",
                    "stop_seen": False, "error": None}
    app_proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def llmdesk_app():
            desktop = pyatspi.Registry.getDesktop(0)
            for i in range(desktop.childCount):
                node = desktop.getChildAtIndex(i)
                if node is not None and node.name == "llmdesk" and find(node, "push button", "Send"):
                    return node
            return None

        app = wait_for(llmdesk_app, 60, 0.5)
        if app is None:
            raise RuntimeError("the llmdesk window did not appear on the accessibility bus")
        result["steps"].append("window found on the bus")
        found = result["found"]
        # wait until the model is loaded (the window title names it)
        wait_for(lambda: find(app, "frame", "—", prefix=False) or any(
            " — llmdesk" in (n.name or "") for n in walk(app) if n.getRoleName() == "frame"), 30)
        message_box = find(app, "text", "Message")
        send = find(app, "push button", "Send")
        found["message box"] = bool(message_box)
        found["send"] = bool(send)
        found["conversation list"] = bool(find(app, ("list", "table", "tree", "tree table"), "Conversations"))
        found["search"] = bool(find(app, "text", "Search all messages"))
        # open the settings panel through the View menu's action, then look for its fields
        menu_item = find(app, ("check menu item", "menu item"), "Settings panel")
        if menu_item is None:
            raise RuntimeError("no 'Settings panel' menu item")
        settings_open = find(app, "spin button", "Temperature")
        if settings_open is None or not settings_open.getState().contains(pyatspi.STATE_SHOWING):
            result["steps"].append(f"settings panel opened by the menu item's {do_action(menu_item)!r} action")
        for field in SETTINGS_FIELDS:
            node = wait_for(lambda f=field: find(app, ("spin button", "text", "combo box"), f), 5)
            found[f"settings: {field}"] = bool(node)
        if message_box is None or send is None:
            raise RuntimeError("the message box or Send is missing")
        for kind in ("object:announcement", "object:property-change:accessible-name"):
            try:
                pyatspi.Registry.registerEventListener(_on_event, kind)
            except Exception:  # noqa: BLE001 - an older AT-SPI without this event
                pass
        message_box.queryEditableText().setTextContents(PROMPT)
        result["steps"].append("typed into the message box through EditableText")
        result["steps"].append(f"pressed Send through its {do_action(send)!r} action")
        stop = wait_for(lambda: find(app, "push button", "Stop"), 10, 0.05)
        result["stop_seen"] = stop is not None
        found["stop"] = stop is not None
        reply = wait_for(lambda: find(app, ("filler", "panel", "section", "grouping"), "Assistant reply, finished",
                                      prefix=True), 60)
        if reply is None:
            names = sorted({n.name for n in walk(app) if (n.name or "").startswith(("Assistant", "Your"))})
            raise RuntimeError(f"no finished reply on the bus; messages seen: {names}")
        result["reply_name"] = reply.name
        reply_text = find(reply, TEXT_ROLES, "Assistant reply")
        result["reply_text"] = text_of(reply_text) if reply_text is not None else ""
        mine = find(app, ("filler", "panel", "section", "grouping"), "Your message")
        mine_text = find(mine, TEXT_ROLES, "Your message") if mine is not None else None
        result["user_text"] = text_of(mine_text) if mine_text is not None else ""
        result["messages"] = sorted({f"{n.getRoleName()}: {n.name}" for n in walk(app)
                                     if (n.name or "").startswith(("Assistant", "Your"))})
        result["steps"].append("reply read back from the bus")
        wait_for(lambda: any(e.startswith("object:announcement") and "Reply" in e for e in EVENTS), 5)
        result["announcements"] = [e for e in EVENTS if e.startswith("object:announcement")]
    except Exception as exc:  # noqa: BLE001 - reported to the test
        result["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        app_proc.terminate()
        try:
            out, _ = app_proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            app_proc.kill()
            out, _ = app_proc.communicate()
        result["app_output_tail"] = out[-3000:]
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""``llmdesk prompt``: print the exact prompt the model would receive (chat template applied) and its token count.

Loads only the tokenizer and the config, never the weights. The prompt goes to stdout, the count to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", "-m", help="Hub id or local model folder (default: the saved setting)")
    parser.add_argument("--system", help="system prompt (default: the saved one)")
    parser.add_argument("--conversation", metavar="ID", help="the shown branch of this saved conversation first")
    parser.add_argument("--max-new-tokens", type=int, metavar="N",
                        help="room kept for the reply, which decides what fits (default: the saved setting)")
    parser.add_argument("--raw", action="store_true", help="raw completion: TEXT as it is, no chat template")
    parser.add_argument("--tokens", action="store_true", help="also list each token: position, id, text")
    parser.add_argument("--json", action="store_true", help="print one JSON object: text, ids, tokens, count")
    parser.add_argument("text", nargs="?", help="a new user message after the conversation")


def run(args: argparse.Namespace) -> int:
    from llmdesk.core.settings import load_settings

    settings = load_settings().settings
    from llmdesk.core.conversation import ChatTurn

    turns: list[ChatTurn] = []
    if args.conversation:
        from llmdesk.core import branches
        from llmdesk.core.store import ConversationStore, StoreError

        try:
            with ConversationStore() as store:
                conv = store.load_conversation(args.conversation)
        except (StoreError, KeyError) as exc:
            print(f"llmdesk prompt: no conversation {args.conversation!r}: {exc}", file=sys.stderr)
            return 1
        turns = list(branches.prompt_turns(conv)) if conv.current_leaf_id else []
    if args.text:
        turns.append(ChatTurn("user", args.text))
    if not turns:
        print("llmdesk prompt: give TEXT, or --conversation with messages", file=sys.stderr)
        return 2
    from llmdesk.engine.errors import EngineError
    from llmdesk.engine.prompt_view import build_prompt_view, load_tokenizer

    try:
        tokenizer, window = load_tokenizer(args.model or settings.model.model, settings.model.trust_remote_code)
        view = build_prompt_view(tokenizer, turns, settings.system_prompt if args.system is None else args.system,
                                 window, args.max_new_tokens or settings.decoding.max_new_tokens, raw=args.raw)
    except EngineError as exc:
        print(f"llmdesk prompt: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"text": view.text, "token_count": len(view.input_ids), "input_ids": view.input_ids,
                          "tokens": [{"id": t.token_id, "text": t.text, "special": t.special} for t in view.tokens],
                          "dropped_messages": view.dropped_messages, "context_window": view.context_window,
                          "budget": view.budget, "raw": view.raw}, ensure_ascii=False, indent=1))
        return 0
    sys.stdout.write(view.text)
    if not view.text.endswith("\n"):
        sys.stdout.write("\n")
    if args.tokens:
        for n, t in enumerate(view.tokens):
            print(f"{n:>6} {t.token_id:>8} {'*' if t.special else ' '} {t.text!r}")
    dropped = f", {view.dropped_messages} oldest messages left out" if view.dropped_messages else ""
    print(f"{len(view.input_ids)} tokens of {view.budget} available (context window {view.context_window} minus "
          f"max new tokens {view.context_window - view.budget}){dropped}", file=sys.stderr)
    return 0

"""Benchmark of llmdesk's API server as the window runs it: first-token latency and tokens/s for 1, 2 and 4
concurrent streaming clients (requests queue for the one model thread), and the window's longest event-loop stall
while serving.

The real window (offscreen unless a display is set) loads a random-weight Phi-3-shaped model (``--hidden``,
``--layers``; built into a temporary folder with Phi-3's tokenizer, no download) or ``--model``, turns on "Serve
the loaded model on localhost", and the official ``openai`` client sends streaming requests from threads. A 5 ms
timer on the GUI thread measures how late each tick runs (a stall). Each client asks for ``--tokens`` tokens
(greedy; random weights rarely end early, and a run that does is reported).

    python benchmarks/bench_serve.py [--model PATH] [--tokens 64] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support.tiny builds the random model


def _client_run(client: Any, model: str, tokens: int, out: list[dict[str, float]]) -> None:
    started = time.perf_counter()
    first = last = None
    count = 0
    usage = None
    stream = client.chat.completions.create(model=model, max_tokens=tokens, temperature=0, stream=True,
                                            stream_options={"include_usage": True},
                                            messages=[{"role": "user", "content": "Tell me a long story."}])
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                now = time.perf_counter()
                first = first or now
                last = now
                count += 1
    done = time.perf_counter()
    new = usage.completion_tokens if usage is not None else count
    out.append({"ttft_s": (first or done) - started, "total_s": done - started, "new_tokens": new,
                "decode_tokens_per_s": (new - 1) / (last - first) if first and last and last > first else 0.0})


def client_main(url: str, model: str, tokens: int, rounds: int, concurrency: int) -> int:
    """The clients, in their own process (as real clients are): ``rounds`` rounds of ``concurrency`` streaming
    requests at once; prints the runs and wall times as JSON."""
    import openai

    client = openai.OpenAI(base_url=url, api_key="unused", max_retries=0, timeout=600)
    runs: list[dict[str, float]] = []
    walls: list[float] = []
    for _ in range(rounds):
        out: list[dict[str, float]] = []
        threads = [threading.Thread(target=_client_run, args=(client, model, tokens, out)) for _ in range(concurrency)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        walls.append(time.perf_counter() - started)
        runs += out
    print(json.dumps({"runs": runs, "walls": walls}))
    return 0


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        url, model, tokens, rounds, concurrency = sys.argv[2:7]
        return client_main(url, model, int(tokens), int(rounds), int(concurrency))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a local model folder (default: a random-weight Phi-3 shape)")
    parser.add_argument("--hidden", type=int, default=256, help="hidden size of the random model (default 256)")
    parser.add_argument("--layers", type=int, default=4, help="layers of the random model (default 4)")
    parser.add_argument("--tokens", type=int, default=64, help="tokens per request (default 64)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per concurrency level (default 3)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import openai
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from llmdesk.core.settings import ModelSettings, Settings
    from llmdesk.gui.app import build_window

    app = QApplication.instance() or QApplication([])
    tmp = tempfile.TemporaryDirectory(prefix="llmdesk-bench-serve-")
    model_path = args.model
    if model_path is None:
        from tests.support.tiny import build_tiny_phi3

        model_path = str(build_tiny_phi3(Path(tmp.name) / "model", layers=args.layers, hidden=args.hidden))
    os.environ["XDG_CONFIG_HOME"] = str(Path(tmp.name) / "config")
    os.environ["XDG_DATA_HOME"] = str(Path(tmp.name) / "data")

    settings = Settings()
    window = build_window(settings, initial_model=ModelSettings(model=model_path, device="cpu", dtype="float32"),
                          save=None, remember_geometry=False, open_default_store=False, check_downloads=False)
    window.api_switch.port = 0
    window.show()
    window.start()

    def pump_until(predicate: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("timed out")
            app.processEvents()
            time.sleep(0.001)

    pump_until(lambda: window.controller.model_info is not None or window.banner.isVisible(), 300)
    if window.controller.model_info is None:
        print(f"load failed: {window.banner.label.text()}", file=sys.stderr)
        return 1
    window.api_action.setChecked(True)
    address = window.api_switch.address
    model_id = window.controller.model_info.model_id
    client = openai.OpenAI(base_url=address, api_key="unused", max_retries=0, timeout=600)  # warm-up only

    # stall probe: a 5 ms precise timer on the GUI thread; lateness of each tick = how long the loop was blocked
    stalls: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(5)

    def tick() -> None:
        now = clock.nsecsElapsed()
        stalls.append(max(0.0, (now - last[0]) / 1e6 - 5))
        last[0] = now

    probe.timeout.connect(tick)

    def probe_while(predicate: Any, timeout: float) -> list[float]:
        stalls.clear()
        last[0] = clock.nsecsElapsed()
        probe.start()
        pump_until(predicate, timeout)
        probe.stop()
        return list(stalls)

    def direct_rate() -> float:
        """Decode tok/s of the same model through the engine directly (no server), in this process."""
        pieces: list[str] = []
        stats = direct.chat([ChatTurn("user", "Tell me a long story.")], DecodingSettings(max_new_tokens=args.tokens),
                            "", on_text=pieces.append, cancel=threading.Event())
        return stats.decode_tokens_per_s or 0.0

    def run_level(concurrency: int) -> dict[str, Any]:
        import subprocess

        baseline = direct_rate()
        proc = subprocess.Popen([sys.executable, __file__, "--client", address, model_id, str(args.tokens),
                                 str(args.rounds), str(concurrency)], stdout=subprocess.PIPE, text=True)
        level_stalls = probe_while(lambda: proc.poll() is not None, 1800)
        report = json.loads(proc.stdout.read())
        runs, walls = report["runs"], report["walls"]
        total_tokens = sum(r["new_tokens"] for r in runs)
        return {"clients": concurrency, "requests": len(runs),
                "ttft_ms_median": 1000 * statistics.median(r["ttft_s"] for r in runs),
                "ttft_ms_max": 1000 * max(r["ttft_s"] for r in runs),
                "decode_tok_s_per_client": statistics.median(r["decode_tokens_per_s"] for r in runs),
                "aggregate_tok_s": total_tokens / sum(walls),
                "short_replies": sum(1 for r in runs if r["new_tokens"] < args.tokens),
                "direct_decode_tok_s": baseline,
                "longest_stall_ms": max(level_stalls) if level_stalls else 0.0,
                "p99_stall_ms": statistics.quantiles(level_stalls, n=100)[98] if len(level_stalls) > 100 else 0.0}

    _client_run(client, model_id, 8, [])  # warm-up
    from llmdesk.core.settings import DecodingSettings
    from llmdesk.engine.session import ChatEngine
    from llmdesk.engine.types import ChatTurn

    direct = ChatEngine()
    direct.load(ModelSettings(model=model_path, device="cpu", dtype="float32"))
    idle = probe_while(lambda s=time.monotonic(): time.monotonic() - s > 3, 10)  # the machine's own noise
    results = [run_level(c) for c in (1, 2, 4)]
    direct.unload()
    window.api_action.setChecked(False)
    window.close()
    app.processEvents()
    info = {"model": model_path if args.model else f"random Phi-3 shape, hidden {args.hidden}, {args.layers} layers",
            "tokens_per_request": args.tokens, "rounds": args.rounds, "threads": os.cpu_count(),
            "idle_longest_stall_ms": max(idle) if idle else 0.0, "levels": results}
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"model: {info['model']}; {args.tokens} tokens per request, {args.rounds} rounds per level, "
              f"{os.cpu_count()} CPUs")
        print(f"window's longest stall with nothing served (the machine's own noise): "
              f"{info['idle_longest_stall_ms']:.1f} ms")
        print(f"{'clients':>8}{'TTFT med':>11}{'TTFT max':>11}{'tok/s/client':>14}{'direct':>8}{'aggregate':>11}"
              f"{'stall max':>11}{'stall p99':>11}")
        for r in results:
            print(f"{r['clients']:>8}{r['ttft_ms_median']:>8.0f} ms{r['ttft_ms_max']:>8.0f} ms"
                  f"{r['decode_tok_s_per_client']:>14.1f}{r['direct_decode_tok_s']:>8.1f}{r['aggregate_tok_s']:>11.1f}"
                  f"{r['longest_stall_ms']:>8.1f} ms{r['p99_stall_ms']:>8.1f} ms")
        print("direct: the same model through the engine in this process, no server, just before each level")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

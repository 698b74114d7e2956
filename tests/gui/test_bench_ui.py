"""``llmdesk bench-ui`` runs a real chat window and reports its figures (checked for shape, not speed)."""

from __future__ import annotations

import json

from llmdesk.__main__ import main
from llmdesk.gui.dev.bench_ui import format_result, run_bench


def test_bench_reports_stalls_and_costs(qapp):
    result = run_bench(tokens=1500, rate=1500, timeout_s=60)
    assert result.notes == []
    assert result.reply_chars > 1000
    assert 10 <= result.view_updates < 1500  # pieces were coalesced
    assert result.samples > 0
    assert result.longest_stall_ms >= result.p99_stall_ms >= result.median_stall_ms >= 0
    assert result.start_cost_ms_per_1000 > 0 and result.end_cost_ms_per_1000 > 0
    assert "event-loop stall" in format_result(result)


def test_bench_ui_command_prints_json(qapp, capsys):
    assert main(["bench-ui", "--tokens", "300", "--rate", "3000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tokens"] == 300 and data["rate"] == 3000
    assert {"longest_stall_ms", "p99_stall_ms", "start_cost_ms_per_1000", "end_cost_ms_per_1000",
            "end_to_start_ratio"} <= data.keys()

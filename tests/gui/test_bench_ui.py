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
    assert max(result.start_ms_per_update, result.end_ms_per_update) > 0  # (a window may hold one update)
    assert "event-loop stall" in format_result(result)


def test_bench_ui_command_prints_json(qapp, capsys):
    assert main(["bench-ui", "--tokens", "300", "--rate", "3000", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tokens"] == 300 and data["rate"] == 3000
    assert {"longest_stall_ms", "p99_stall_ms", "start_cost_ms_per_1000", "end_cost_ms_per_1000",
            "end_to_start_ratio"} <= data.keys()


def test_bench_streams_a_table_or_a_list(qapp):
    import pytest

    from llmdesk.gui.dev.scripted_engine import synthetic_markdown_pieces

    table = "".join(synthetic_markdown_pieces(400, content="table"))
    assert table.count("\n| ") > 20 and "|---|---|---|---|" in table
    items = "".join(synthetic_markdown_pieces(400, content="list"))
    assert items.count("\n") > 20 and "\n\n" not in items.split("\n\n", 1)[1]  # one list, no blank lines
    with pytest.raises(ValueError, match="unknown content 'tables'"):
        next(synthetic_markdown_pieces(10, content="tables"))
    result = run_bench(tokens=600, rate=3000, content="table", timeout_s=60)
    assert result.notes == [] and result.content == "table" and "(table)" in format_result(result)


def test_bench_ui_command_refuses_an_unknown_content(capsys):
    import pytest

    with pytest.raises(SystemExit):
        main(["bench-ui", "--content", "tables"])
    assert "invalid choice" in capsys.readouterr().err

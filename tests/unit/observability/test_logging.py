import io
import json
import logging
from pathlib import Path

from tronlab.config import load_settings
from tronlab.observability import bind_run_id, configure_logging, get_logger


def _settings(tmp_path: Path, **env: str):
    return load_settings(environ={"TRONLAB_HOME": str(tmp_path), **env}).settings


def test_dev_console_lines_carry_run_id(tmp_path: Path) -> None:
    buf = io.StringIO()
    run_id = configure_logging(_settings(tmp_path), stream=buf, run_id="abc123")
    get_logger("t").info("imported", rows=5)
    line = buf.getvalue().strip()
    assert run_id == "abc123"
    assert "imported" in line
    assert "rows=5" in line
    assert "run_id=abc123" in line
    assert not line.startswith("{")


def test_prod_writes_json_lines_and_file(tmp_path: Path) -> None:
    buf = io.StringIO()
    settings = _settings(
        tmp_path,
        TRONLAB_ENV="prod",
        TRONLAB_DATABASE_URL="postgresql://x@h/d",
    )
    configure_logging(settings, stream=buf)
    run_id = bind_run_id("run-42")
    get_logger("t").warning("halted", reason="KILL_SWITCH")
    logging.getLogger("stdlib").error("from %s", "stdlib")
    console_lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    file_lines = [
        json.loads(x) for x in (tmp_path / "logs" / "tronlab.jsonl").read_text().splitlines()
    ]
    for lines in (console_lines, file_lines):
        assert [x["event"] for x in lines] == ["halted", "from stdlib"]
        assert all(x["run_id"] == run_id for x in lines)
        assert lines[0]["reason"] == "KILL_SWITCH"
        assert lines[0]["level"] == "warning"


def test_reconfiguring_does_not_duplicate_handlers(tmp_path: Path) -> None:
    buf = io.StringIO()
    settings = _settings(tmp_path)
    configure_logging(settings, stream=buf, to_file=False)
    configure_logging(settings, stream=buf, to_file=False)
    get_logger().info("once")
    assert buf.getvalue().count("once") == 1

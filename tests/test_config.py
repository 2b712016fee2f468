from pathlib import Path

from assistant.config import PROJECT_ROOT, load_settings


def test_defaults_are_duckdb_files_under_data_dir():
    s = load_settings({})
    assert s.data_dir == (PROJECT_ROOT / "data").resolve()
    assert s.hotline_url == f"duckdb:///{s.data_dir / 'hotline.duckdb'}"
    assert s.posts_url == f"duckdb:///{s.data_dir / 'posts.duckdb'}"
    assert not s.llm_configured
    assert s.default_backend == "auto"


def test_environment_overrides(tmp_path: Path):
    s = load_settings({
        "WENSHU_DATA_DIR": str(tmp_path),
        "WENSHU_POSTS_URL": "sqlite:///x.sqlite",
        "WENSHU_ROW_LIMIT": "50",
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "WENSHU_LLM_MAX_REPAIRS": "3",
        "WENSHU_LLM_STREAM": "0",
    })
    assert s.hotline_url == f"duckdb:///{tmp_path.resolve() / 'hotline.duckdb'}"
    assert s.url("posts") == "sqlite:///x.sqlite"
    assert s.row_limit == 50
    assert s.llm_configured and s.llm_max_repairs == 3 and not s.llm_stream
    assert load_settings({"WENSHU_DATA_DIR": str(tmp_path)}).llm_stream   # streaming is the default
    assert s.audit_path == tmp_path.resolve() / "audit.jsonl"

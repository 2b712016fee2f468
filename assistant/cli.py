"""The `wenshu` command (also `python -m assistant`)."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Sequence

from .config import Settings, load_settings


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：{text}") from None


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ChineseArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # bad input: a clear message, exit 2, nothing changed
        self.print_usage(sys.stderr)
        self.exit(2, f"参数错误：{message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = ChineseArgumentParser(prog="wenshu", description="问数 Wenshu：工会数据智能问数助手")
    sub = p.add_subparsers(dest="command", required=True, parser_class=ChineseArgumentParser)

    d = sub.add_parser("demo-data", help="生成演示数据库（热线与阵地）")
    d.add_argument("--out", type=Path, help="输出目录：写入 DIR/hotline.duckdb 与 DIR/posts.duckdb")
    d.add_argument("--hotline-url", help="热线库的 SQLAlchemy URL（与 --posts-url 一起用）")
    d.add_argument("--posts-url", help="阵地库的 SQLAlchemy URL")
    d.add_argument("--seed", type=int, default=2026)
    d.add_argument("--end", type=_date, help="数据截止日期，默认今天")
    d.add_argument("--tickets", type=int, default=60000)
    d.add_argument("--posts", type=int, default=3000)
    d.add_argument("--if-missing", action="store_true", help="数据库已存在时跳过")

    a = sub.add_parser("ask", help="用中文提问")
    a.add_argument("question")
    a.add_argument("--as-of", type=_date, help="参照日期（今年、上个月等据此计算），默认今天")
    a.add_argument("--session", help="会话名：同一会话可追问")
    a.add_argument("--org", help="提问人所属工会组织（名称或编号），数据范围限于该组织")
    a.add_argument("--backend", choices=("rules", "llm", "auto"))
    a.add_argument("--json", action="store_true")

    s = sub.add_parser("sql", help="经同一安全检查运行手写 SQL")
    s.add_argument("sql")
    s.add_argument("--db", required=True, choices=("hotline", "posts"))
    s.add_argument("--org")
    s.add_argument("--json", action="store_true")

    sub.add_parser("check", help="核对 schema_docs 与数据库是否一致")

    au = sub.add_parser("audit", help="查看最近的审计日志")
    au.add_argument("-n", type=int, default=20)
    au.add_argument("--json", action="store_true")

    e = sub.add_parser("eval", help="离线评测")
    e.add_argument("--dataset", type=Path, action="append", help="JSONL 评测集，可重复；默认 eval/ 下全部")
    e.add_argument("--backend", choices=("rules", "llm", "auto"), default="rules")
    e.add_argument("--out", type=Path)
    e.add_argument("--json", action="store_true")
    e.add_argument("--compare", nargs=2, type=Path, metavar=("A.json", "B.json"))

    i = sub.add_parser("index", help="构建检索索引（schema_docs 与示例）")
    i.add_argument("--force", action="store_true")

    c = sub.add_parser("confirm", help="把确认正确的问答保存为示例")
    c.add_argument("question", nargs="?")
    c.add_argument("--sql")
    c.add_argument("--db", choices=("hotline", "posts"))
    c.add_argument("--from-feedback", action="store_true", help="逐条审核 👍 反馈")
    c.add_argument("--yes", action="store_true", help="不再询问，直接保存")

    ll = sub.add_parser("llm", help="本地大模型")
    llsub = ll.add_subparsers(dest="llm_command", required=True, parser_class=ChineseArgumentParser)
    sv = llsub.add_parser("serve", help="安装、组装并校验本地模型，启动 OpenAI 兼容接口")
    sv.add_argument("--port", type=int, default=8080)

    ap = sub.add_parser("app", help="启动 Streamlit 应用与 OA 门户演示")
    ap.add_argument("--port", type=int, default=8501)
    return p


def _demo_data(args: argparse.Namespace, settings: Settings) -> int:
    from .demo_data import generate, generate_to_dir
    kw = dict(seed=args.seed, end=args.end, tickets=args.tickets, posts=args.posts, progress=_progress)
    if args.tickets < 0 or args.posts < 0:
        print("数量不能为负数。", file=sys.stderr)
        return 2
    if args.out and (args.hotline_url or args.posts_url):
        print("--out 与 --hotline-url/--posts-url 只能二选一。", file=sys.stderr)
        return 2
    if bool(args.hotline_url) != bool(args.posts_url):
        print("--hotline-url 与 --posts-url 需要同时给出。", file=sys.stderr)
        return 2
    try:
        if args.hotline_url:
            report = generate(hotline_url=args.hotline_url, posts_url=args.posts_url, **kw)
        else:
            out = args.out or settings.data_dir
            if args.if_missing and (out / "hotline.duckdb").exists() and (out / "posts.duckdb").exists():
                print(f"演示数据已存在：{out}", file=sys.stderr)
                return 0
            report = generate_to_dir(out, **kw)
    except Exception as error:  # unreachable server, bad URL, disk full: say so, no traceback
        print(f"生成演示数据失败：{str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    tables = "，".join(f"{name} {count:,} 行" for name, count in report.counts.items())
    print(f"已生成演示数据（种子 {report.seed}，{report.start} 至 {report.end}，用时 {report.seconds:.1f} 秒）：{tables}")
    return 0


def _print_answer(answer, as_json: bool) -> int:
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, default=str))
    else:
        print(answer.answer)
        if answer.rows and not (len(answer.rows) == 1 and len(answer.columns) <= 2):
            print("\t".join(answer.columns))
            for row in answer.rows[:50]:
                print("\t".join("" if v is None else str(v) for v in row))
            if len(answer.rows) > 50:
                print(f"…共 {len(answer.rows)} 行")
        for d in answer.definitions:
            print(f"口径：{d.name} = {d.formula}")
        if answer.scope:
            print(answer.scope)
        if answer.sql:
            print(f"SQL：{answer.sql}")
    return 1 if answer.status == "error" else 0


def _app_or_error(settings: Settings):
    from .db import DatabaseUnavailable
    from .pipeline import App
    from .schema_docs import SchemaDocsError
    try:
        return App(settings)
    except (DatabaseUnavailable, SchemaDocsError) as error:
        print(str(error), file=sys.stderr)
        return None


def _scope(app, org: str | None):
    from .orgs import UnknownOrg, resolve_scope
    try:
        return resolve_scope(org, app), None
    except UnknownOrg as error:
        return None, error.message


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from .models import Answer
    if args.command == "demo-data":
        return _demo_data(args, settings)
    if args.command == "app":
        from .ui_launch import run_app
        return run_app(settings, port=args.port)
    if args.command == "llm":
        from .llm_server import LLMServerError, serve
        try:
            serve(settings, port=args.port, progress=_progress)
        except LLMServerError as error:  # install, verification or start-up failed: say which
            print(f"错误：{error}", file=sys.stderr)
            return 1
        return 0
    if args.command == "eval":
        from .evaluation import main_eval
        return main_eval(args, settings=settings, progress=_progress)
    if args.command == "audit":
        from .audit import AuditLog, format_entries
        entries = AuditLog(settings.audit_path).recent(args.n)
        print(json.dumps(entries, ensure_ascii=False) if args.json else format_entries(entries))
        return 0
    if args.command == "index":
        from .retrieval import build_index
        from .schema_docs import load_schema_docs
        print(build_index(settings, load_schema_docs(settings.schema_docs_dir), progress=_progress, force=args.force))
        return 0
    if args.command == "confirm":
        from .learning import confirm_command
        return confirm_command(args, settings)

    app = _app_or_error(settings)
    if app is None:
        return 1
    if args.command == "check":
        print("schema_docs 与数据库一致。")
        return 0
    scope, problem = _scope(app, args.org)
    if problem:
        return _print_answer(Answer(status="error", answer=problem), args.json)
    if args.command == "ask":
        from .pipeline import ask
        from .session import SessionNameError
        try:
            answer = ask(args.question, app=app, as_of=args.as_of, session=args.session, scope=scope,
                         backend=args.backend)
        except SessionNameError as error:
            answer = Answer(status="error", answer=str(error))
        return _print_answer(answer, args.json)
    if args.command == "sql":
        from .pipeline import run_sql
        return _print_answer(run_sql(args.sql, database=args.db, app=app, scope=scope), args.json)
    raise AssertionError(args.command)

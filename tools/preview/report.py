#!/usr/bin/env python3
"""Render a Pulumi preview as Markdown for a pull request, from any CI or locally.

Runs `pulumi preview --json` itself (as engine events, the only form that carries policy
violations), or reads a saved one (either form; `-` for stdin). Writes the Markdown and
a one-line summary for a commit status. Data-loss risks and access changes come first.

    python3 -m tools.preview.report --stack staging --policy-pack policy
    python3 -m tools.preview.report --from preview.json --markdown preview.md --summary summary.txt
    python3 -m tools.preview.report --stack dev --pulumi tools/pulumi      # this repo's engine wrapper
(from the project's root).

Exit code: 0 nothing alarming; 2 a data-loss banner was raised (refused or not);
3 the preview failed for another reason; 1 the report could not be made.
Secrets are never shown: --show-secrets is refused, and any secret reads "[secret]".
Standard library only (Python >= 3.10).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

from tools.preview.markdown import render
from tools.preview.parse import Diagnostic, Preview, parse

PROG = "tools.preview.report"  # how the messages name this command


class Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """Exit 1, not argparse's 2: CI reads 2 as "data-loss banner raised"."""
        self.print_usage(sys.stderr)
        raise SystemExit(f"{self.prog}: error: {message}")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(
        description=__doc__.split("\n\n")[0],
        epilog="Arguments after -- go to `pulumi preview` unchanged. Exit code: 0 nothing alarming; 2 a data-loss "
               "banner was raised; 3 the preview failed otherwise; 1 no report could be made.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="run `pulumi preview --json` on this stack")
    source.add_argument("--from", dest="from_file", metavar="FILE",
                        help="read a saved `pulumi preview --json` output (digest or event lines; - for stdin)")
    parser.add_argument("--cwd", help="the Pulumi project directory (default: the current one)")
    parser.add_argument("--policy-pack", action="append", default=[], metavar="DIR",
                        help="run this policy pack with the preview (repeatable)")
    parser.add_argument("--pulumi", default="pulumi", help="the pulumi command (default: pulumi from PATH)")
    parser.add_argument("--save-json", metavar="FILE", help="keep the raw preview output here")
    parser.add_argument("--markdown", metavar="FILE", help="write the Markdown here (default: stdout)")
    parser.add_argument("--summary", metavar="FILE", help="write the one-line summary here (it also goes to stderr)")
    parser.add_argument("--title", help="the Markdown heading (default: Pulumi preview of stack NAME)")
    parser.add_argument("pulumi_args", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if any(a.startswith("--show-secrets") for a in args.pulumi_args):
        parser.error("--show-secrets is refused: the report must never contain a secret")
    if args.from_file and (args.policy_pack or args.pulumi_args):
        parser.error("--policy-pack and pulumi arguments only apply when running the preview (--stack)")
    return args


def run_preview(args: argparse.Namespace) -> tuple[str, Preview | None]:
    """The preview's JSON output, and a failed Preview from its stderr when it printed none."""
    command = [*shlex.split(args.pulumi), "preview", "--json", "--non-interactive", "--stack", args.stack]
    if args.cwd:
        command += ["--cwd", args.cwd]
    for pack in args.policy_pack:
        command += ["--policy-pack", pack]
    command += args.pulumi_args
    env = {**os.environ, "PULUMI_ENABLE_STREAMING_JSON_PREVIEW": "true"}  # keeps policy events
    print(f"{PROG}: {shlex.join(command)}", file=sys.stderr)
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
    except FileNotFoundError:
        raise SystemExit(f"{PROG}: {command[0]!r} was not found; install Pulumi or pass --pulumi") from None
    sys.stderr.write(done.stderr)
    if done.stdout.strip():
        return done.stdout, None
    message = done.stderr.strip() or f"pulumi exited with {done.returncode} and printed nothing"
    return "", Preview([], [Diagnostic("error", message)], [], {}, True, args.stack)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.from_file:
        text = sys.stdin.read() if args.from_file == "-" else Path(args.from_file).read_text()
        failed = None
    else:
        text, failed = run_preview(args)
    if args.save_json and text:
        Path(args.save_json).write_text(text)
    try:
        preview = failed or parse(text)
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    if args.stack and not preview.stack:
        preview.stack = args.stack
    report = render(preview, args.title)
    if args.markdown:
        Path(args.markdown).write_text(report.markdown)
    else:
        sys.stdout.write(report.markdown)
    if args.summary:
        Path(args.summary).write_text(report.summary + "\n")
    print(report.summary, file=sys.stderr)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())

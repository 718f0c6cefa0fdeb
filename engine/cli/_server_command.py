"""``netyard server``: the team's tracking server and sweep storage, started in one command."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.cli._options import WORKSPACE_HELP, port


def add_command(commands: argparse._SubParsersAction) -> None:
    from engine.services import DEFAULT_PORT

    server = commands.add_parser(
        "server",
        help="serve a team's MLflow tracking server (proxied artifacts) and sweep storage",
        description="Start an mlflow server (database backend, proxied artifacts, MLflow's "
        "basic-auth) for workers on other machines, write the team file they need (URLs and "
        "passwords, mode 0600, in WORKSPACE/team-server) and print the netyard sweep and "
        "netyard worker commands that use it.",
    )
    for flag, metavar, help_text in (
        ("--postgres-dir", "DIR",
         "run a private PostgreSQL cluster in DIR (made on first use) for both databases"),
        ("--backend-store-uri", "URL",
         "MLflow's database instead, e.g. postgresql://USER:PW@HOST:PORT/mlflow"),
        ("--storage", "URL",
         "Optuna's database instead (with --backend-store-uri), e.g. .../optuna"),
        ("--artifacts-destination", "DIR",
         "where the server keeps the runs' artifacts (default: WORKSPACE/server-artifacts)"),
        ("--host", None, "address to listen on (default 127.0.0.1; 0.0.0.0 for other machines: "
         "passwords are asked, but nothing is encrypted: see the warning it prints)"),
        ("--allowed-hosts", "LIST", "Host headers the server answers (passed to mlflow server; "
         "default: localhost and private-network addresses)"),
        ("--workspace", "DIR", WORKSPACE_HELP),
    ):  # fmt: skip
        server.add_argument(flag, metavar=metavar, help=help_text)
    server.set_defaults(host="127.0.0.1")
    server.add_argument(
        "--port", type=port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    server.set_defaults(handler=server_command)


def server_command(args: argparse.Namespace) -> int:
    from engine.cli._commands import serve
    from engine.errors import UsageError
    from engine.services import SECRETS_FOLDER, PostgresCluster, TeamServices
    from engine.workspace import Workspace

    if args.postgres_dir and (args.backend_store_uri or args.storage):
        raise UsageError(
            "give either --postgres-dir DIR or --backend-store-uri and --storage, not both"
        )
    workspace = Workspace.resolve(args.workspace).ensure()
    artifacts = Path(args.artifacts_destination or workspace.root / "server-artifacts")
    services = TeamServices(
        host=args.host,
        artifacts=artifacts.expanduser().resolve(),
        secrets_folder=workspace.root / SECRETS_FOLDER,
        postgres=PostgresCluster(Path(args.postgres_dir)) if args.postgres_dir else None,
        backend_store_uri=args.backend_store_uri or "",
        storage_url=args.storage or "",
        allowed_hosts=args.allowed_hosts,
    )

    def start() -> str:
        from engine.cli._status import clear, say

        services.start(args.port, say=say)
        clear()
        return services.announcement()

    return serve(start, services.wait, services.stop)

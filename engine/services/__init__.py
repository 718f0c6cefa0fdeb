"""Shared services for a team: the MLflow tracking server and the database behind it."""

from engine.services._postgres import PostgresCluster
from engine.services._team import DEFAULT_PORT, TeamServices

# Where ``netyard server`` keeps its secrets and the team file, in its workspace.
SECRETS_FOLDER = "team-server"

__all__ = ["DEFAULT_PORT", "SECRETS_FOLDER", "PostgresCluster", "TeamServices"]

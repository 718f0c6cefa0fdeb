"""Shared services for a team: the MLflow tracking server and the database behind it."""

from engine.services._postgres import PostgresCluster
from engine.services._team import DEFAULT_PORT, TeamServices

__all__ = ["DEFAULT_PORT", "PostgresCluster", "TeamServices"]

"""Who may do what in the private cluster of ``netyard server --postgres-dir``: its roles,
the databases they own, the access rules (pg_hba.conf), and the SQL that brings any cluster
made by netyard server, of this version or an older one, to them. See ``_postgres``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

USER = "netyard"  # the superuser: socket only, no password
STORAGE_ROLE = "optuna"
MLFLOW_ROLE = "mlflow"
OWNERS = {"mlflow": MLFLOW_ROLE, "optuna": STORAGE_ROLE}  # database -> the role owning it
ACCESS_RULES = f"""\
# Written by netyard server at every start: edits here are lost.
# Through the Unix socket (in a folder only its owner can enter): the superuser ({USER}) and
# the tracking server's role ({MLFLOW_ROLE}); each role reaches only the databases it may
# CONNECT to. Over TCP: only the workers' role, to its own database, with its password.
local   all                 all                                 trust
host    optuna              {STORAGE_ROLE:<19} 0.0.0.0/0       scram-sha-256
host    optuna              {STORAGE_ROLE:<19} ::/0            scram-sha-256
"""


def provisioning_script(storage_password: str) -> str:
    """psql input, run as the superuser, that sets the roles, databases, owners and rights,
    whatever state the cluster was in: new, made by this version, or made by one where the
    workers used the superuser. The workers' password goes as its SCRAM verifier only."""
    verifier = scram_verifier(storage_password)
    limits = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
    script = [f"ALTER ROLE {USER} PASSWORD NULL;"]
    for database, role in OWNERS.items():
        password = f"'{verifier}'" if role == STORAGE_ROLE else "NULL"
        script += [
            f"SELECT 'CREATE ROLE {role}' WHERE NOT EXISTS "
            f"(SELECT FROM pg_roles WHERE rolname = '{role}') \\gexec",
            f"ALTER ROLE {role} {limits} PASSWORD {password};",
            f"SELECT 'CREATE DATABASE {database} OWNER {role}' WHERE NOT EXISTS "
            f"(SELECT FROM pg_database WHERE datname = '{database}') \\gexec",
            f"ALTER DATABASE {database} OWNER TO {role};",
            f"REVOKE ALL ON DATABASE {database} FROM PUBLIC;",
        ]
    for database, role in OWNERS.items():
        script += [f"\\connect {database}", _hand_over_objects(role)]
    return "\n".join(script) + "\n"


def _hand_over_objects(role: str) -> str:
    """SQL, run in a database, that gives ``role`` the schema ``public`` and whatever the
    superuser owns in it (tables first: their sequences and indexes follow them)."""
    return f"""\
ALTER SCHEMA public OWNER TO {role};
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
DO $$
DECLARE found record;
BEGIN
  FOR found IN SELECT c.relname, c.relkind FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND pg_get_userbyid(c.relowner) = '{USER}' LOOP
    EXECUTE format('ALTER %s public.%I OWNER TO {role}',
      CASE found.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                         WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, found.relname);
  END LOOP;
  FOR found IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'S'
        AND pg_get_userbyid(c.relowner) = '{USER}' LOOP
    EXECUTE format('ALTER SEQUENCE public.%I OWNER TO {role}', found.relname);
  END LOOP;
  FOR found IN SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
        AND pg_get_userbyid(t.typowner) = '{USER}' LOOP
    EXECUTE format('ALTER TYPE public.%I OWNER TO {role}', found.typname);
  END LOOP;
END $$;"""


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """What PostgreSQL stores for a scram-sha-256 password (RFC 5802/7677), computed here so
    the password itself is never sent to the server, nor seen in its log."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"

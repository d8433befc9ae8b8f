#!/bin/sh
# The system of record's set-up, run once per `docker compose up` by the sor-init service
# (every step is idempotent): create the database, bring its tables to the Alembic head,
# turn on change data capture for the database and every table.
#
# Needs C360_SOR_URL (the service's own setting: database name and credentials come
# from it) and MSSQL_SA_PASSWORD (sqlcmd logs in as sa: CDC needs sysadmin).
set -eu

host_db=$(python -c "
from sqlalchemy import make_url
from c360.settings import Settings
url = make_url(Settings().sor_url or '')
print(url.host or '', url.port or 1433, url.database or '')
")
set -- $host_db
host=$1 port=$2 database=$3
[ -n "$host" ] && [ -n "$database" ] || { echo "C360_SOR_URL names no host or database" >&2; exit 2; }
sql() { sqlcmd -S "tcp:$host,$port" -U sa -P "$MSSQL_SA_PASSWORD" -C -b "$@"; }

# SQL Server answers its health check before it accepts logins for a while: wait.
tries=0
until sql -Q "SELECT 1" >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || { echo "SQL Server at $host:$port did not accept sa" >&2; exit 1; }
    sleep 2
done

sql -Q "IF DB_ID(N'$database') IS NULL CREATE DATABASE [$database]"
python -c "
from c360.settings import Settings
from ingest.sor.migrate import upgrade
upgrade(Settings().sor_url)
"
sql -d "$database" -i /app/compose/sqlserver/enable_cdc.sql
echo "system of record ready: $database on $host:$port, CDC on"

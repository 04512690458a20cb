"""Rows of a query as the TOM's RealDictCursor gives them, read through psql: PostgreSQL's own
text for every value (float4 and float8 in their shortest decimals, as psycopg2 reads them)."""
import json
import subprocess


def rows(database, sql):
    text = subprocess.run(
        ["psql", database, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", f"SELECT coalesce(json_agg(r), '[]') FROM ({sql}) r"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(text)

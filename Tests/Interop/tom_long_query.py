"""elasticc-api's long queries, driven as the TOM README tells a scientist to: the TOM's
tom_client.py submits, polls and fetches; pandas reads the results. The expected results are
what the TOM's long_query_runner makes of the same rows: psycopg2's values (read here as the
database's owner) through `pandas.DataFrame(rows, columns=columns)`, then `to_csv()` or
`to_pickle()`.

usage: tom_long_query.py TOM_DESC_DIR URL DATABASE_URL
Users: scientist (elasticc_admin), plain (no group), root (superuser); password pw.
Prints one JSON document of what matched.
"""
import io
import json
import pickle
import sys
import time

import pandas
import psycopg2
import requests

sys.path.insert(0, sys.argv[1])
from tom_client import TomClient  # noqa: E402

url, database = sys.argv[2].rstrip("/"), sys.argv[3]
scientist = TomClient(url=url, username="scientist", password="pw")
plain = TomClient(url=url, username="plain", password="pw")
root = TomClient(url=url, username="root", password="pw")
out = {}


def submit(client, body):
    res = client.post("db/submitsqlquery/", json=body)
    return res.status_code, res.json()


def wait(client, queryid, seen=None):
    """Polls checksqlquery until the query ends; records the states it passed through."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = client.post(f"db/checksqlquery/{queryid}/").json()
        if seen is not None:
            seen.append(status["status"])
        if status["status"] in ("finished", "error"):
            return status
        time.sleep(0.2)
    raise RuntimeError(f"query {queryid} did not finish: {status}")


def expected_frame(sql, params):
    """The TOM runner's DataFrame: psycopg2's rows as the database's owner."""
    with psycopg2.connect(database) as conn:
        cursor = conn.cursor()
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute(sql, params)
        columns = [d.name for d in cursor.description]
        return pandas.DataFrame(cursor.fetchall(), columns=columns)


with psycopg2.connect(database) as conn:
    cursor = conn.cursor()
    cursor.execute("SELECT diaobject_id FROM elasticc2_diasource GROUP BY 1 HAVING count(*) >= 4 ORDER BY 1 LIMIT 3")
    objects = [row[0] for row in cursor.fetchall()]

# Every kind of value the TOM's tables and a scientist's SQL give: integers with and without
# NULLs, real and double (NaN and infinities among them), text that needs quoting, booleans
# with NULLs, timestamps with and without fractions, dates, numeric, json, arrays.
typed_sql = """
SELECT s.diasource_id, s.diaobject_id, s.midpointtai, s.filtername, s.psflux, s.snr,
       CASE WHEN s.psflux > 0 THEN s.diasource_id END AS maybe_id,
       s.psflux > 0 AS bright, CASE WHEN s.psflux > 0 THEN true END AS maybe_bright,
       timestamptz '2024-01-02 03:04:05.678+00' + (s.diasource_id %% 3) * interval '1.000001 second' AS t,
       CASE WHEN s.diasource_id %% 2 = 0 THEN timestamptz '2024-01-02 00:00:00+00' END AS maybe_t,
       numeric '0.0000001' * (s.diasource_id %% 5) AS small_numeric, numeric '1.50' AS price,
       jsonb_build_object('a', s.filtername, 'b', ARRAY[1, 2], 'c', NULL, 'q', 'it''s "x"') AS j,
       ARRAY[s.diasource_id, NULL] AS arr, ARRAY['a,b', NULL] AS words,
       'text, with "quotes"' || E'\\n' || 'line' AS messy, '' AS empty, NULL::text AS nothing,
       CASE s.diasource_id %% 4 WHEN 0 THEN 'NaN'::float8 WHEN 1 THEN 'Infinity' WHEN 2 THEN '-Infinity' ELSE s.ra END AS special,
       date '2024-01-02' + (s.diasource_id %% 3)::int AS d, s.midpointtai * 1e12 AS big, s.psflux * 1e-7 AS tiny,
       (s.diasource_id %% 30000)::smallint AS small, s.midpointtai * 1e10 AS e14, s.midpointtai * 1e11 AS e15,
       (s.psflux * 1e6)::real AS real_e6, (s.diasource_id %% 7)::float8 AS whole
  FROM elasticc2_diasource s
 WHERE s.diaobject_id IN %(objects)s
 ORDER BY s.diasource_id
"""
code, submitted = submit(scientist, {"query": typed_sql, "subdict": {"objects": objects}})
out["submit"] = [code, submitted["status"], len(submitted.get("queryid", ""))]
if code != 200:
    raise SystemExit(f"submit refused: {code} {submitted}")
seen = []
status = wait(scientist, submitted["queryid"], seen)
out["states"] = [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] != s]
out["status_keys"] = sorted(status.keys())
out["times"] = [status["submitted"], status["started"], status["finished"]]
out["echo"] = [status["queries"] == [typed_sql], status["subdicts"] == [{"objects": objects}]]
res = scientist.post(f"db/getsqlqueryresults/{submitted['queryid']}/")
expected = expected_frame(typed_sql, {"objects": tuple(objects)})
out["csv_type"] = res.headers.get("content-type")
out["csv_rows"] = len(expected)
out["csv_equal"] = res.text == expected.to_csv()
if not out["csv_equal"]:
    mine, theirs = res.text.splitlines(), expected.to_csv().splitlines()
    out["csv_first_difference"] = next(([a, b] for a, b in zip(mine, theirs) if a != b), [len(mine), len(theirs)])
out["csv_read_back"] = pandas.read_csv(io.StringIO(res.text), index_col=0).shape == expected.shape

code, submitted = submit(scientist, {"query": typed_sql, "subdict": {"objects": objects}, "format": "pandas"})
wait(scientist, submitted["queryid"])
res = scientist.post(f"db/getsqlqueryresults/{submitted['queryid']}/")
frame = pandas.read_pickle(io.BytesIO(res.content))
out["pickle_type"] = res.headers.get("content-type")
out["pickle_dtypes_equal"] = [str(t) for t in frame.dtypes] == [str(t) for t in expected.dtypes]
out["pickle_dtypes"] = [str(t) for t in frame.dtypes]
out["pickle_equal"] = frame.equals(expected) and list(frame.columns) == list(expected.columns)
# Only pandas.DataFrame, decimal and datetime are named: no pandas internals.
names = {arg for op, arg, _ in __import__("pickletools").genops(res.content) if op.name == "GLOBAL"}
out["pickle_globals"] = sorted(names)

# A list of statements on one connection: a temporary table carries over; one dict per query.
code, submitted = submit(scientist, {
    "query": ["CREATE TEMP TABLE picks AS SELECT diaobject_id FROM elasticc2_diaobject WHERE diaobject_id IN %(ids)s",
              "SELECT count(*) AS n, min(diaobject_id) AS first FROM picks WHERE diaobject_id > %(above)s"],
    "subdict": [{"ids": objects}, {"above": objects[0]}]})
wait(scientist, submitted["queryid"])
out["temp_table"] = scientist.post(f"db/getsqlqueryresults/{submitted['queryid']}/").text

# An empty result still has its header.
code, submitted = submit(scientist, {"query": "SELECT diaobject_id, ra FROM elasticc2_diaobject WHERE false"})
wait(scientist, submitted["queryid"])
out["empty"] = scientist.post(f"db/getsqlqueryresults/{submitted['queryid']}/").text

# Errors: a failing query is "error" with PostgreSQL's text, and its results a 409.
code, submitted = submit(scientist, {"query": "SELECT 1 / (diaobject_id - diaobject_id) FROM elasticc2_diaobject"})
failed = wait(scientist, submitted["queryid"])
out["failed"] = [failed["status"], "division by zero" in failed["error"], "finished" in failed, "started" in failed]
res = scientist.post(f"db/getsqlqueryresults/{submitted['queryid']}/")
out["failed_results"] = [res.status_code, res.text.startswith("Query errored out:")]
# The plain user's role reads the broker tables only (the TOM README's rule).
code, submitted = submit(plain, {"query": "SELECT count(*) FROM elasticc2_diasource"})
denied = wait(plain, submitted["queryid"])
out["plain_denied"] = [denied["status"], "permission denied" in denied["error"]]
code, submitted = submit(plain, {"query": "SELECT count(*) AS n FROM elasticc2_brokerclassifier"})
wait(plain, submitted["queryid"])
out["plain_reads_broker_tables"] = plain.post(f"db/getsqlqueryresults/{submitted['queryid']}/").text.splitlines()[0]

# Refused at the door: numpy (the TOM queues it, then always fails it), unknown formats,
# malformed bodies.
out["numpy"] = list(submit(scientist, {"query": "SELECT 1", "format": "numpy"}))
out["unknown_format"] = submit(scientist, {"query": "SELECT 1", "format": "parquet"})[0]
out["no_query"] = submit(scientist, {"subdict": {}})[0]
own = submitted["queryid"]
# A write gets past the door (temporary tables may be written) and fails as the read-only role.
code, written = submit(scientist, {"query": "DELETE FROM elasticc2_brokerclassifier"})
write = wait(scientist, written["queryid"])
out["write"] = [code, write["status"], "permission denied" in write.get("error", "")]

# Whose queries: the owner and a superuser see one; another user, an unknown or malformed id: 404.
out["other_user"] = [scientist.post(f"db/checksqlquery/{own}/").status_code,
                     scientist.post(f"db/getsqlqueryresults/{own}/").status_code]
out["superuser"] = root.post(f"db/checksqlquery/{own}/").json()["status"]
unknown = scientist.post("db/checksqlquery/00000000-0000-4000-8000-000000000000/")
out["unknown"] = [unknown.status_code, unknown.json()]
out["malformed"] = scientist.post("db/getsqlqueryresults/not-a-uuid/").status_code
out["get"] = scientist.get(f"db/checksqlquery/{own}/").status_code
out["stranger"] = requests.post(f"{url}/db/checksqlquery/{own}/").status_code
print(json.dumps(out, default=str))

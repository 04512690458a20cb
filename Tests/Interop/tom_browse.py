"""elasticc-api's DRF views of the PPDB, driven as a scientist does: the TOM's tom_client.py
for the session, plain requests for Basic authentication and strangers.

usage: tom_browse.py TOM_DESC_DIR URL USERNAME PASSWORD DATABASE_URL
Walks ppdbdiaobject page by page through the `next` links, reads details, suffixes and
errors, and compares every value with the database (read through psql); prints one JSON
document of what matched.
"""
import json
import sys

import psql_rows

import requests

sys.path.insert(0, sys.argv[1])
from tom_client import TomClient  # noqa: E402

url, username, password, database = sys.argv[2].rstrip("/"), sys.argv[3], sys.argv[4], sys.argv[5]
tom = TomClient(url=url, username=username, password=password)
out = {}



def rows(sql):
    return psql_rows.rows(database, sql)

# Every object, page by page, through the links the server gives.
ids, pages, page = [], 0, f"{url}/elasticc2/ppdbdiaobject/?limit=50"
counts = set()
while page:
    res = tom.get(page.removeprefix(url + "/"))
    assert res.status_code == 200, (page, res.status_code, res.text)
    body = res.json()
    counts.add(body["count"])
    ids += [row["diaobject_id"] for row in body["results"]]
    if pages == 0:
        out["first_previous"] = body["previous"]
        out["first_next"] = body["next"]
        out["first_keys"] = list(body["results"][0].keys())
    if pages == 1:
        out["second_previous"] = body["previous"]
    page = body["next"]
    pages += 1
expected = [row["diaobject_id"] for row in rows("SELECT diaobject_id FROM elasticc2_ppdbdiaobject ORDER BY diaobject_id")]
out["walk_pages"] = pages
out["walk_equal"] = ids == expected
out["walk_counts"] = sorted(counts)
out["default_page"] = len(tom.get("elasticc2/ppdbdiaobject/").json()["results"])
out["deep_page"] = [r["diaforcedsource_id"] for r in tom.get("elasticc2/ppdbdiaforcedsource/?offset=50000&limit=3").json()["results"]]
out["deep_expected"] = [r["diaforcedsource_id"] for r in rows(
    "SELECT diaforcedsource_id FROM elasticc2_ppdbdiaforcedsource ORDER BY 1 OFFSET 50000 LIMIT 3")]

# Details, every field equal to the database's (floats as PostgreSQL prints them).
source = rows("SELECT * FROM elasticc2_ppdbdiasource WHERE diaobject_id = (SELECT diaobject_id FROM elasticc2_ppdbdiasource "
              "GROUP BY 1 HAVING count(*) >= 3 ORDER BY 1 LIMIT 1) ORDER BY diasource_id LIMIT 1")[0]
detail = tom.get(f"elasticc2/ppdbdiasource/{source['diasource_id']}/").json()
source["diaobject"] = source.pop("diaobject_id")
out["source_detail_equal"] = detail == source
out["source_keys"] = list(detail.keys())
obj = rows(f"SELECT * FROM elasticc2_ppdbdiaobject WHERE diaobject_id = {source['diaobject']}")[0]
objdetail = tom.get(f"elasticc2/ppdbdiaobject/{obj['diaobject_id']}.json").json()
out["object_detail_equal"] = objdetail == obj
out["object_fields"] = len(objdetail)
out["format_param"] = tom.get(f"elasticc2/ppdbdiaobject/{obj['diaobject_id']}/?format=json").json() == obj
out["missing"] = [tom.get("elasticc2/ppdbdiaobject/1/").status_code, tom.get("elasticc2/ppdbdiaobject/1/").json()]
out["not_a_number"] = tom.get("elasticc2/ppdbdiasource/abc/").json()
out["bad_format"] = tom.get("elasticc2/ppdbdiaobject/?format=xml").status_code
huge = tom.get(f"elasticc2/ppdbdiaobject/?offset={2**63 - 1}&limit={2**63 - 1}")
out["huge_offset"] = [huge.status_code, len(huge.json()["results"]), huge.json()["next"]]
with_sources = tom.get(f"elasticc2/ppdbdiaobjectwithsources/{obj['diaobject_id']}/").json()
out["with_sources"] = [len(with_sources["diasources"]), len(with_sources["diaforcedsources"])]
out["with_sources_expected"] = [len(rows(f"SELECT 1 FROM elasticc2_ppdbdiasource WHERE diaobject_id = {obj['diaobject_id']}")),
                                len(rows(f"SELECT 1 FROM elasticc2_ppdbdiaforcedsource WHERE diaobject_id = {obj['diaobject_id']}"))]
last = rows(f"SELECT diasource_id, midpointtai FROM elasticc2_ppdbdiasource WHERE diaobject_id = {obj['diaobject_id']} "
            "ORDER BY midpointtai OFFSET 1 LIMIT 1")[0]
of_source = tom.get(f"elasticc2/ppdbdiaobjectofsource/{last['diasource_id']}/").json()
out["of_source"] = [of_source["diaobject_id"], len(of_source["diasources"]),
                    all(f["midpointtai"] <= last["midpointtai"] for f in of_source["diaforcedsources"])]
out["of_source_list"] = [tom.get("elasticc2/ppdbdiaobjectofsource/").status_code, tom.get("elasticc2/ppdbdiaobjectofsource/").json()]

# Strangers, Basic authentication, methods.
stranger = requests.get(f"{url}/elasticc2/ppdbdiaobject/")
out["stranger"] = [stranger.status_code, stranger.json(), stranger.headers.get("WWW-Authenticate")]
basic = requests.get(f"{url}/elasticc2/ppdbdiaobject/?limit=1", auth=(username, password))
out["basic"] = [basic.status_code, len(basic.json().get("results", []))]
wrong = requests.get(f"{url}/elasticc2/ppdbdiaobject/", auth=(username, "wrong"))
out["basic_wrong"] = [wrong.status_code, wrong.json()]
post = requests.post(f"{url}/elasticc2/ppdbdiaobject/", auth=(username, password), json={})
out["post"] = [post.status_code, post.json(), post.headers.get("Allow")]
json.dump(out, sys.stdout)

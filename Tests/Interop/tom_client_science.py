"""Drives elasticc-api's ELAsTiCC2 web API with the TOM's own client, tom_client.py.

usage: tom_client_science.py TOM_DESC_DIR URL USERNAME PASSWORD OBJECTID OBJECTID
Runs the README's examples: light curves, hot transients, then the spectrum workflow
(ask -> wanted -> plan -> wanted -> remove -> wanted -> report -> known -> wanted) and a
db/runsqlquery/ call; prints one JSON document with what each step answered.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
from tom_client import TomClient  # noqa: E402

url, username, password = sys.argv[2], sys.argv[3], sys.argv[4]
first, second = int(sys.argv[5]), int(sys.argv[6])
tom = TomClient(url=url, username=username, password=password)
out = {}


def post(page, body):
    res = tom.post(page, json=body)
    assert res.status_code == 200, f"{page}: {res.status_code} {res.text}"
    data = res.json()
    assert data.get("status", "ok") == "ok", f"{page}: {data}"
    return data


def wanted():
    return [entry["oid"] for entry in post("elasticc2/spectrawanted", {"detected_since_mjd": 0})["wantedspectra"]]


curves = post("elasticc2/ltcvs", {"objectids": [first, second]})["diaobject"]
out["ltcv_objects"] = [sn["objectid"] for sn in curves]
out["ltcv_points"] = sum(len(sn["photometry"]["mjd"]) for sn in curves)
hot = post("elasticc2/gethottransients", {"detected_since_mjd": 0, "return_format": 2})["diaobject"]
out["hot_objects"] = len(hot["objectid"])
out["hot_columns_equal"] = len({len(values) for values in hot.values()}) == 1

asked = post("elasticc2/askforspectrum", {"requester": "RESSPECT", "objectids": [first, second], "priorities": [5, 3]})
out["asked"] = asked["num"]
out["wanted_after_ask"] = wanted()
plan = post("elasticc2/planspectrum", {"objectid": first, "facility": "Rubin-Spec", "plantime": "2026-12-01 03:00:00"})
out["plan"] = {key: plan[key] for key in ("objectid", "facility", "plantime", "comment")}
out["wanted_after_plan"] = wanted()
out["removed"] = post("elasticc2/removespectrumplan", {"objectid": first, "facility": "Rubin-Spec"})["n_deleted"]
out["wanted_after_remove"] = wanted()
report = post("elasticc2/reportspectruminfo", {"objectid": first, "facility": "Rubin-Spec", "mjd": 61004.5, "z": 0.05, "classid": 2232})
out["report_classid"] = report["classid"]
known = post("elasticc2/getknownspectruminfo", {"objectid": first})["spectra"]
out["known"] = [{key: spectrum[key] for key in ("objectid", "facility", "classid")} for spectrum in known]
out["wanted_after_report"] = wanted()
rows = post("db/runsqlquery/", {"query": "SELECT count(*) AS n FROM elasticc2_wantedspectra WHERE diaobject_id = %(id)s",
                                "subdict": {"id": second}})["rows"]
out["sql_wanted_rows"] = rows[0]["n"]
refused = tom.post("db/runsqlquery/", json={"query": "DELETE FROM elasticc2_wantedspectra"}).json()
out["sql_delete"] = refused["status"]
out["get_askforspectrum"] = tom.get("elasticc2/askforspectrum").status_code
print(json.dumps(out))

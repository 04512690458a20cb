"""elasticc-api's scoring endpoints against the TOM's own code paths, run here as peers.

usage: tom_scoring.py TOM_DESC_DIR URL USERNAME PASSWORD DATABASE_URL SOURCEID OBJECTID
Logs in with the TOM's tom_client.py; for each endpoint, works out what the TOM's view
(elasticc2/views.py) answers from the same database, with the TOM's pandas and light-curve
calls (the database read through psql, whose text is what the TOM's psycopg2 reads), and
prints one JSON document saying what matched.
"""
import json
import subprocess
import sys

import light_curve
import numpy
import pandas

sys.path.insert(0, sys.argv[1])
from tom_client import TomClient  # noqa: E402

url, username, password, database = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
sourceid, objectid = int(sys.argv[6]), int(sys.argv[7])
tom = TomClient(url=url, username=username, password=password)
out = {}


def rows(sql):
    """Rows as the TOM's RealDictCursor gives them."""
    text = subprocess.run(
        ["psql", database, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", f"SELECT coalesce(json_agg(r), '[]') FROM ({sql}) r"],
        check=True, capture_output=True, text=True).stdout
    return json.loads(text)


# elasticc2/classids: the TOM's Elasticc2ClassIds.post, step by step.
classdf = pandas.DataFrame(rows("SELECT * FROM elasticc2_classidofgentype"))
classdf = (classdf.groupby(["classid", "exactmatch", "categorymatch", "broadmatch", "generalmatch"])[["description", "gentype"]]
           .aggregate({"description": "first", "gentype": list})
           .reset_index()
           .set_index("classid"))
tmpdf = pandas.DataFrame(rows("SELECT * FROM elasticc2_gentypeofclassid"))
tmpdf = tmpdf[~tmpdf["classid"].isin(classdf.index.values)]
for i, row in tmpdf.iterrows():
    classdf.loc[row.classid] = {"description": row.description, "gentype": [], "exactmatch": False, "categorymatch": False,
                                "broadmatch": False, "generalmatch": False}
classdf.sort_index(inplace=True)
expected = json.loads(classdf.to_json(orient="index"))
res = tom.post("elasticc2/classids")
out["classids_status"] = res.status_code
answered = res.json()
out["classids_count"] = len(answered)
out["classids_equal"] = answered == expected
out["classids_order_equal"] = list(answered.keys()) == list(expected.keys())
out["classids_get_status"] = tom.get("elasticc2/classids").status_code

# elasticc2/ltcvfeatures: the TOM's LtcvFeatures.post.
extractor = light_curve.Extractor(
    light_curve.AndersonDarlingNormal(), light_curve.InterPercentileRange(0.05), light_curve.ReducedChi2(), light_curve.StetsonK(),
    light_curve.WeightedMean(), light_curve.Duration(), light_curve.OtsuSplit(), light_curve.LinearFit())


def tom_features(where):
    points = rows(f"SELECT f.midpointtai, f.psflux, f.psfluxerr FROM elasticc2_ppdbdiaforcedsource f WHERE {where} ORDER BY f.midpointtai")
    t, f, df = [p["midpointtai"] for p in points], [p["psflux"] for p in points], [p["psfluxerr"] for p in points]
    results = extractor(numpy.array(t), numpy.array(f), numpy.array(df), sorted=True, check=False)
    resp = {name: value for name, value in zip(extractor.names, results)}
    resp["lightcurve"] = {"mjd": t, "flux": f, "dflux": df}
    return resp


def compare(name, body, expected):
    res = tom.post("elasticc2/ltcvfeatures", json=body)
    out[f"{name}_status"] = res.status_code
    if res.status_code != 200:
        out[f"{name}_text"] = res.text
        return
    answered = res.json()
    out[f"{name}_keys_equal"] = list(answered.keys()) == list(expected.keys())
    out[f"{name}_points"] = len(answered["lightcurve"]["mjd"])
    out[f"{name}_lightcurve_equal"] = answered["lightcurve"] == expected["lightcurve"]
    out[f"{name}_features_close"] = all(
        numpy.isclose(answered[key], expected[key], rtol=1e-6, atol=0) for key in extractor.names)


source_time = f"(SELECT midpointtai FROM elasticc2_ppdbdiasource WHERE diasource_id = {sourceid})"
source_object = f"(SELECT diaobject_id FROM elasticc2_ppdbdiasource WHERE diasource_id = {sourceid})"
compare("source", {"sourceid": str(sourceid), "includeltcv": True, "objectid": objectid + 1},
        tom_features(f"f.diaobject_id = {source_object} AND f.midpointtai <= {source_time}"))
first_times = rows(f"SELECT midpointtai FROM elasticc2_ppdbdiaforcedsource WHERE diaobject_id = {objectid} ORDER BY midpointtai LIMIT 10")
through = first_times[-1]["midpointtai"]
compare("object", {"objectid": objectid, "through_mjd": through, "includeltcv": 1},
        tom_features(f"f.diaobject_id = {objectid} AND f.midpointtai <= {through}"))
res = tom.post("elasticc2/ltcvfeatures", json={"objectid": objectid})
out["no_points_key"] = "lightcurve" not in res.json() and len(res.json()) == 13
res = tom.post("elasticc2/ltcvfeatures", json={"objectid": objectid, "through_mjd": first_times[2]["midpointtai"]})
out["three_points"] = [res.status_code, res.json()["error"]]
res = tom.post("elasticc2/ltcvfeatures", json={"sourceid": 1})
out["unknown_source"] = [res.status_code, res.json()["error"]]
res = tom.post("elasticc2/ltcvfeatures", json={"includeltcv": True})
out["no_id"] = [res.status_code, res.json()["error"]]
json.dump(out, sys.stdout)

"""elasticc-api's scoring endpoints against the TOM's own code paths, run here as peers.

usage: tom_scoring.py TOM_DESC_DIR URL USERNAME PASSWORD DATABASE_URL SOURCEID OBJECTID CLASSIFIER_ID CLASSID
Logs in with the TOM's tom_client.py; for each endpoint, works out what the TOM's view
(elasticc2/views.py) answers from the same database, with the TOM's pandas and light-curve
calls (the database read through psql, whose text is what the TOM's psycopg2 reads), and
prints one JSON document saying what matched.
"""
import json
import sys

import psql_rows

import light_curve
import numpy
import pandas

sys.path.insert(0, sys.argv[1])
from tom_client import TomClient  # noqa: E402

url, username, password, database = sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
sourceid, objectid = int(sys.argv[6]), int(sys.argv[7])
classifier_id, classid = int(sys.argv[8]), int(sys.argv[9])
tom = TomClient(url=url, username=username, password=password)
out = {}



def rows(sql):
    return psql_rows.rows(database, sql)

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

# elasticc2/brokerclassfortruetype: the frames of the TOM's gen_elasticc2_confusionvst (its
# pandas code as it is), against our JSON, which must be the same to_dict(orient='tight').
fields = ['s.midpointtai', 's.filtername', 's.psflux', 's.snr', 's.diaobject_id', 's.diasource_id',
          'm.classid', 'm.probability', 'm.descingesttimestamp', 'm.alert_id', 't.zcmb', 't.peakmjd', 't.gentype']
selected = ",".join(f'{field} AS "{field}"' for field in fields)
found = rows(f"SELECT {selected} "
             f"FROM elasticc2_diaobjecttruth t "
             f"INNER JOIN elasticc2_ppdbdiasource s ON t.diaobject_id=s.diaobject_id "
             f"INNER JOIN elasticc2_brokermessage m ON s.diasource_id=m.diasource_id "
             f"WHERE m.classifier_id={classifier_id} AND t.gentype IN "
             f"(SELECT gentype FROM elasticc2_classidofgentype WHERE classid={classid})")
df = pandas.DataFrame([[row[f] for f in fields] for row in found], columns=fields)
minrelday, maxrelday = -20, 90
df = (df.sort_values(['s.diaobject_id', 's.midpointtai', 'm.descingesttimestamp'])
      .reset_index()
      .groupby(['s.diaobject_id', 's.diasource_id']).agg('last')
      .reset_index())
df['deltat'] = df['s.midpointtai'] - df['t.peakmjd']
df['relday'] = df['deltat'].apply(numpy.floor).astype(numpy.int16)
df = df[(df['relday'] >= minrelday) & (df['relday'] <= maxrelday)]
objdf = (df.loc[:, ['s.diaobject_id', 't.zcmb', 't.peakmjd', 't.gentype']]
         .groupby('s.diaobject_id').agg('first'))
srcdf = (df.loc[:, ['s.diaobject_id', 's.diasource_id', 's.midpointtai', 'deltat',
                    'relday', 's.filtername', 's.psflux', 's.snr']]
         .groupby('s.diasource_id').agg('first'))
cifydf = (df.loc[:, ['s.diasource_id', 'm.classid', 'relday', 'm.probability']]
          .explode(['m.classid', 'm.probability'])
          .set_index(['s.diasource_id', 'm.classid']))
classprobdf = (cifydf.reset_index().loc[:, ['relday', 'm.classid', 'm.probability']]
               .groupby(['relday', 'm.classid']).agg(numpy.average))
maxprobdf = (cifydf.reset_index().loc[:, ['relday', 'm.probability', 'm.classid']]
             .sort_values(['relday', 'm.probability'])
             .groupby('relday')
             .agg('last')['m.classid'])


def close(a, b):
    """The same structure and values; floats equal to 1e-12 (numpy's pairwise sums)."""
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a)
    return a == b


for what, frame in zip(['objects', 'sources', 'classifications', 'meanprobabilities', 'maxprobabilities'],
                       [objdf, srcdf, cifydf, classprobdf, maxprobdf]):
    if isinstance(frame, pandas.Series):
        frame = frame.to_frame()
    expected = json.loads(json.dumps(frame.to_dict(orient='tight')))
    res = tom.post(f"elasticc2/brokerclassfortruetype/json/{what}/{classifier_id}/{classid}/")
    answered = res.json() if res.status_code == 200 else {"status": res.status_code, "text": res.text}
    out[f"truetype_{what}_rows"] = len(expected["data"])
    out[f"truetype_{what}_equal"] = close(answered, expected)
    if not out[f"truetype_{what}_equal"]:
        out[f"truetype_{what}_difference"] = [str(answered)[:600], str(expected)[:600]]
    rebuilt = pandas.DataFrame.from_dict(answered, orient="tight") if res.status_code == 200 else None
    out[f"truetype_{what}_from_dict"] = rebuilt is not None and list(rebuilt.columns) == list(frame.columns) and len(rebuilt) == len(frame)
for name, path in [("unknown_what", f"json/nothing/{classifier_id}/{classid}/"), ("unknown_class", f"json/objects/{classifier_id}/2220/"),
                   ("unknown_classifier", f"json/objects/999999/{classid}/"), ("pickle", f"pickle/objects/{classifier_id}/{classid}/")]:
    res = tom.post(f"elasticc2/brokerclassfortruetype/{path}")
    out[f"truetype_{name}"] = [res.status_code, res.json().get("error")]
json.dump(out, sys.stdout)

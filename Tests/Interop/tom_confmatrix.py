"""The TOM's gen_confmatrix_last, computed from the database as its code computes it.

usage: tom_confmatrix.py DATABASE_URL
Per classifier, per true class of elasticc2_gentypeofclassid with gentypes, the TOM's query
(the latest classified source of each object among sent alerts), the class of highest
probability (numpy's argmax) and its description; prints {classifier_id: {"true|predicted":
objects}}. Two departures, both where the TOM has no answer: a predicted class id the taxonomy
does not know is "unmapped" (the TOM dies with KeyError), and of several messages about one
source the latest stored wins (the TOM's DISTINCT ON takes any).
"""
import json
import sys

import psql_rows

import numpy
import pandas

database = sys.argv[1]



def rows(sql):
    return psql_rows.rows(database, sql)

cfers = rows("SELECT * FROM elasticc2_brokerclassifier ORDER BY brokername, brokerversion, classifiername, classifierparams")
classes = pandas.DataFrame(rows("SELECT classid, gentype, description FROM elasticc2_gentypeofclassid ORDER BY classid"))
trueclasses = pandas.concat([
    classes[classes.gentype.notnull()].groupby("classid").agg({"gentype": list, "description": "first"}),
    classes[classes.gentype.isnull()].groupby("classid").agg({"gentype": "first", "description": "first"}),
]).sort_index()
out = {}
for cfer in cfers:
    counts = {}
    for trueclass in trueclasses.index:
        gentypes = trueclasses.loc[trueclass, "gentype"]
        if not isinstance(gentypes, list):
            continue
        found = rows(
            "SELECT DISTINCT ON (a.diaobject_id) a.diaobject_id, m.classid, m.probability "
            "FROM elasticc2_ppdbalert a "
            "INNER JOIN elasticc2_diaobjecttruth ot ON a.diaobject_id=ot.diaobject_id "
            "INNER JOIN elasticc2_brokermessage m ON a.alert_id=m.alert_id "
            "INNER JOIN elasticc2_ppdbdiasource s ON a.diasource_id=s.diasource_id "
            "WHERE a.alertsenttimestamp IS NOT NULL "
            f"  AND ot.gentype IN ({','.join(str(int(g)) for g in gentypes)}) "
            f"  AND m.classifier_id={int(cfer['classifier_id'])} "
            "ORDER BY a.diaobject_id, s.midpointtai DESC, m.brokermessage_id DESC")
        for row in found:
            predicted = row["classid"][numpy.array(row["probability"]).argmax()]
            name = trueclasses.loc[predicted, "description"] if predicted in trueclasses.index else "unmapped"
            key = f"{trueclasses.loc[trueclass, 'description']}|{name}"
            counts[key] = counts.get(key, 0) + 1
    out[str(cfer["classifier_id"])] = counts
json.dump(out, sys.stdout)

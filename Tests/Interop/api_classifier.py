"""The TOM cycle test's REST broker (its tests/apiclassifier.py), driven by the TOM's tom_client.py.

usage: api_classifier.py TOM_DESC_DIR URL USERNAME PASSWORD BOOTSTRAP COUNT SCHEMA GROUP TOPIC...
Reads COUNT alerts from the topics and PUTs, for each, one apiclassifier / 1.0 / AlwaysTheSame /
"0.5 111, 0.75 112" message with classifications [{111, 0.25}, {112, 0.75}], in batches of 100
(as the TOM's does); prints one JSON line.
"""
import datetime
import io
import json
import os
import sys

import fastavro

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, sys.argv[1])
from kafka_peer import consumed, load  # noqa: E402
from tom_client import TomClient  # noqa: E402

url, username, password, bootstrap = sys.argv[2:6]
count, schema, group, topics = int(sys.argv[6]), load(sys.argv[7]), sys.argv[8], sys.argv[9:]
client = TomClient(url=url, username=username, password=password)
statuses, loaded, batch = [], 0, []


def push():
    global loaded
    res = client.put("elasticc2/brokermessage/", json=batch)
    statuses.append(res.status_code)
    if res.status_code == 201:
        loaded += res.json()["num_loaded"]
    batch.clear()


for msg in consumed(bootstrap, topics, group, count):
    alert = fastavro.schemaless_reader(io.BytesIO(msg.value()), schema, None)
    ingested = datetime.datetime.now()
    batch.append({
        "alertId": alert["alertId"], "diaSourceId": alert["diaSource"]["diaSourceId"],
        "elasticcPublishTimestamp": msg.timestamp()[1], "brokerIngestTimestamp": ingested.timestamp() * 1000,
        "brokerPublishTimestamp": datetime.datetime.now().timestamp() * 1000,
        "brokerName": "apiclassifier", "brokerVersion": "1.0", "classifierName": "AlwaysTheSame",
        "classifierParams": "0.5 111, 0.75 112",
        "classifications": [{"classId": 111, "probability": 0.25}, {"classId": 112, "probability": 0.75}],
    })
    if len(batch) == 100:
        push()
if batch:
    push()
print(json.dumps({"statuses": sorted(set(statuses)), "loaded": loaded}))

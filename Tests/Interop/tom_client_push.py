"""Drives elasticc-api with the TOM's own client, tom_client.py (from ../shared/reference).

usage: tom_client_push.py TOM_DESC_DIR URL USERNAME PASSWORD MESSAGES
Logs in, checks that a wrong password is detected as TomClient detects it, PUTs MESSAGES
broker messages in batches of 100 as the TOM's apiclassifier does, and prints one JSON line.
"""
import datetime
import json
import sys

sys.path.insert(0, sys.argv[1])
from tom_client import TomClient  # noqa: E402

url, username, password, count = sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

failed_login_detected = False
try:
    TomClient(url=url, username=username, password=password + "-wrong")
except RuntimeError:
    failed_login_detected = True

client = TomClient(url=url, username=username, password=password)
statuses, loaded, first_ids = [], 0, []
for start in range(0, count, 100):
    batch = []
    for alert_id in range(start, min(start + 100, count)):
        now = datetime.datetime.now().timestamp() * 1000
        batch.append({
            "alertId": alert_id, "diaSourceId": alert_id + 1_000_000,
            "elasticcPublishTimestamp": int(now) - 2000, "brokerIngestTimestamp": now - 1000,
            "brokerPublishTimestamp": datetime.datetime.now().timestamp() * 1000,
            "brokerName": "apiclassifier", "brokerVersion": "1.0", "classifierName": "AlwaysTheSame",
            "classifierParams": "0.5 111, 0.75 112",
            "classifications": [{"classId": 111, "probability": 0.25}, {"classId": 112, "probability": 0.75}],
        })
    res = client.put("elasticc2/brokermessage/", json=batch)
    statuses.append(res.status_code)
    if res.status_code == 201:
        answer = res.json()
        loaded += answer["num_loaded"]
        first_ids.append(answer["brokerMessageId"])
print(json.dumps({"failed_login_detected": failed_login_detected, "statuses": sorted(set(statuses)), "loaded": loaded,
                  "first_ids": first_ids}))

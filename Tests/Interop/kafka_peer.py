"""Interop peer for the Kafka tests: Python's confluent-kafka and fastavro on the other end.

produce BOOTSTRAP TOPIC COUNT SCHEMA   produce COUNT brokerClassification messages (fastavro,
                                      schemaless), keyed by alert id; print one JSON line.
consume BOOTSTRAP TOPIC COUNT SCHEMA GROUP
                                      consume COUNT messages, decode each with fastavro under
                                      SCHEMA, print one JSON line per message.
alerts BOOTSTRAP COUNT SCHEMA GROUP TOPIC...     alerts with their history ids, for SQL checks
classifications BOOTSTRAP TOPIC COUNT SCHEMA GROUP   brokerClassification fields
dump DIRECTORY SCHEMA                 every member of the alert dump tar files
"""
import io
import json
import sys

import fastavro
import fastavro.schema
from confluent_kafka import Consumer, Producer


def without_logical_types(node):
    if isinstance(node, dict):
        return {k: without_logical_types(v) for k, v in node.items()
                if k != "logicalType" and not k.startswith("__")}
    if isinstance(node, list):
        return [without_logical_types(v) for v in node]
    return node


def load(path):
    return fastavro.parse_schema(without_logical_types(fastavro.schema.load_schema(path)))


def classification(i):
    return {
        "alertId": 1_000_000 + i,
        "diaSourceId": 2_000_000 + i,
        "elasticcPublishTimestamp": 1_700_000_000_000 + i,
        "brokerIngestTimestamp": None if i % 3 == 0 else 1_700_000_001_000 + i,
        "brokerName": "PyBroker",
        "brokerVersion": "confluent-kafka",
        "classifierName": f"classifier-{i % 2}",
        "classifierParams": "ünïcode",
        "classifications": [{"classId": 2222 + k, "probability": 1.0 / (k + 1)} for k in range(i % 5)],
    }


def consumed(bootstrap, topics, group, count):
    """Yields up to `count` messages from the topics (a group of its own, from the beginning),
    giving up after 30 s without one."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe(topics)
    seen = 0
    idle = 0
    try:
        while seen < count and idle < 300:
            msg = consumer.poll(0.1)
            if msg is None:
                idle += 1
                continue
            if msg.error():
                continue
            idle = 0
            seen += 1
            yield msg
    finally:
        consumer.close()


def produce(bootstrap, topic, count, schema_path):
    schema = load(schema_path)
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    failures = []
    for i in range(count):
        out = io.BytesIO()
        fastavro.schemaless_writer(out, schema, classification(i))
        producer.produce(topic, out.getvalue(), key=str(1_000_000 + i).encode(),
                         on_delivery=lambda err, msg: failures.append(str(err)) if err else None)
        producer.poll(0)
    remaining = producer.flush(30)
    print(json.dumps({"produced": count, "undelivered": remaining, "failures": failures}))


def consume(bootstrap, topic, count, schema_path, group):
    schema = load(schema_path)
    for msg in consumed(bootstrap, [topic], group, count):
        record = fastavro.schemaless_reader(io.BytesIO(msg.value()), schema, None)
        print(json.dumps({
            "alertId": record["alertId"],
            "key": msg.key().decode() if msg.key() else None,
            "partition": msg.partition(),
            "offset": msg.offset(),
            "prvDiaForcedSources": None if record["prvDiaForcedSources"] is None else len(record["prvDiaForcedSources"]),
            "filterName": record["diaSource"]["filterName"],
        }), flush=True)


def alerts(bootstrap, count, schema_path, group, topics):
    """Consume `count` alerts from the topics and print what the tests compare with SQL."""
    schema = load(schema_path)
    for msg in consumed(bootstrap, topics, group, count):
        alert = fastavro.schemaless_reader(io.BytesIO(msg.value()), schema, None)
        source = alert["diaSource"]
        obj = alert["diaObject"]
        print(json.dumps({
            "topic": msg.topic(),
            "key": msg.key().decode() if msg.key() else None,
            "alertId": alert["alertId"],
            "diaSourceId": source["diaSourceId"],
            "diaObjectId": source["diaObjectId"],
            "midPointTai": source["midPointTai"],
            "filterName": source["filterName"],
            "psFlux": source["psFlux"],
            "prvDiaSources": None if alert["prvDiaSources"] is None else [s["diaSourceId"] for s in alert["prvDiaSources"]],
            "prvDiaForcedSources": None if alert["prvDiaForcedSources"] is None else [f["diaForcedSourceId"] for f in alert["prvDiaForcedSources"]],
            "objectId": None if obj is None else obj["diaObjectId"],
            "simVersion": None if obj is None else obj["simVersion"],
            "hostgal_mag_Y": None if obj is None else obj["hostgal_mag_Y"],
        }), flush=True)


def dump(directory, schema_path):
    """Decode every member of every .tar in the directory; print one line per alert."""
    import tarfile
    from pathlib import Path
    schema = load(schema_path)
    for path in sorted(Path(directory).glob("*.tar")):
        with tarfile.open(path) as archive:
            for member in archive.getmembers():
                alert = fastavro.schemaless_reader(io.BytesIO(archive.extractfile(member).read()), schema, None)
                print(json.dumps({"file": path.name, "member": member.name, "alertId": alert["alertId"],
                                  "midPointTai": alert["diaSource"]["midPointTai"]}))


def classifications(bootstrap, topic, count, schema_path, group):
    """Consume `count` brokerClassification messages and print their fields."""
    schema = load(schema_path)
    for msg in consumed(bootstrap, [topic], group, count):
        record = fastavro.schemaless_reader(io.BytesIO(msg.value()), schema, None)
        print(json.dumps({
            "alertId": record["alertId"], "diaSourceId": record["diaSourceId"],
            "elasticcPublishTimestamp": record["elasticcPublishTimestamp"],
            "brokerIngestTimestamp": record["brokerIngestTimestamp"],
            "brokerName": record["brokerName"], "brokerVersion": record["brokerVersion"],
            "classifierName": record["classifierName"], "classifierParams": record["classifierParams"],
            "classIds": [c["classId"] for c in record["classifications"]],
            "probabilities": [c["probability"] for c in record["classifications"]],
        }), flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "classifications":
        classifications(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])
    elif mode == "alerts":
        alerts(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6:])
    elif mode == "dump":
        dump(sys.argv[2], sys.argv[3])
    elif mode == "produce":
        produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        consume(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6])

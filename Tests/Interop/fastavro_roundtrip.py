"""Interop peer for the Avro codec tests: fastavro encodes the same records the Swift codec
encoded, and decodes the Swift bytes, so the test can compare bytes in both directions.

stdin: JSON lines {"record": {...}, "ours": "<hex>"}; argv: the reference .avsc file.
stdout: JSON lines {"fastavro": "<hex>", "ours_via_fastavro": "<hex>"}, where the second is
fastavro's re-encoding of what it decoded from our bytes.
"""
import io
import json
import sys

import fastavro
import fastavro.schema


def encode(schema, record):
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema, record)
    return out.getvalue()


def without_logical_types(node):
    """Timestamps stay plain longs: the encoding is the same, and extreme test values would not
    fit Python's datetime."""
    if isinstance(node, dict):
        return {k: without_logical_types(v) for k, v in node.items()
                if k != "logicalType" and not k.startswith("__")}
    if isinstance(node, list):
        return [without_logical_types(v) for v in node]
    return node


def main():
    loaded = fastavro.schema.load_schema(sys.argv[1])
    schema = fastavro.parse_schema(without_logical_types(loaded))
    for line in sys.stdin:
        item = json.loads(line)
        ours = bytes.fromhex(item["ours"])
        reader = io.BytesIO(ours)
        decoded = fastavro.schemaless_reader(reader, schema, None)
        if reader.tell() != len(ours):
            raise SystemExit(f"fastavro left {len(ours) - reader.tell()} bytes unread")
        print(json.dumps({
            "fastavro": encode(schema, item["record"]).hex(),
            "ours_via_fastavro": encode(schema, decoded).hex(),
        }))


if __name__ == "__main__":
    main()

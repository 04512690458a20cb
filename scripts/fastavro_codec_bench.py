"""fastavro baseline for `bench codec`: encode and decode the same alert bytes the Swift
benchmark uses, on one core. argv: alert hex, seconds. Prints "encode_rate decode_rate"."""
import io
import json
import sys
import time

import fastavro

SCHEMA_NAMES = ["diaSource", "diaForcedSource", "diaObject"]


def main():
    data = bytes.fromhex(sys.argv[1])
    seconds = float(sys.argv[2])
    from pathlib import Path
    base = Path(__file__).resolve().parent.parent / "Sources" / "AvroSchemas" / "Schemas"
    named = {}
    for name in SCHEMA_NAMES:
        fastavro.parse_schema(json.loads((base / f"elasticc.v0_9_1.{name}.avsc").read_text()), named_schemas=named)
    schema = fastavro.parse_schema(json.loads((base / "elasticc.v0_9_1.alert.avsc").read_text()), named_schemas=named)
    record = fastavro.schemaless_reader(io.BytesIO(data), schema, None)

    def rate(body):
        best = 0.0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            start = time.perf_counter()
            for _ in range(1000):
                body()
            best = max(best, 1000 / (time.perf_counter() - start))
        return best

    def encode():
        out = io.BytesIO()
        fastavro.schemaless_writer(out, schema, record)

    def decode():
        fastavro.schemaless_reader(io.BytesIO(data), schema, None)

    print(f"{rate(encode):.0f} {rate(decode):.0f}")


if __name__ == "__main__":
    main()

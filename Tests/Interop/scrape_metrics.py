"""Reads Prometheus text format with the reference parser (prometheus-client from PyPI).

usage: scrape_metrics.py URL|FILE
Fetches URL (or reads FILE), parses it with prometheus_client.parser.text_string_to_metric_families
and prints one JSON document: {"families": {name: type}, "samples": [{"name", "labels", "value"}]}.
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

source = sys.argv[1]
if source.startswith("http"):
    with urllib.request.urlopen(source, timeout=10) as response:
        assert response.status == 200, response.status
        content_type = response.headers.get("Content-Type", "")
        text = response.read().decode("utf-8")
else:
    content_type = "file"
    with open(source, encoding="utf-8") as handle:
        text = handle.read()

families, samples = {}, []
for family in text_string_to_metric_families(text):
    families[family.name] = family.type
    for sample in family.samples:
        samples.append({"name": sample.name, "labels": sample.labels, "value": sample.value})
print(json.dumps({"content_type": content_type, "families": families, "samples": samples}))

"""Checks rendered Kubernetes manifests (`kubectl kustomize` output) and prints one problem per
line (nothing when all is well); with --commands, prints instead every container's command line
as a JSON list, one per line, for the test to feed to our parsers.

usage: kubernetes_checks.py [--commands] RENDERED.yaml OVERLAY
"""
import json
import sys

import yaml

commands_only = sys.argv[1] == "--commands"
path, overlay = sys.argv[-2], sys.argv[-1]
documents = [d for d in yaml.safe_load_all(open(path)) if d]
kinds = {}
for document in documents:
    kinds.setdefault(document["kind"], []).append(document)


def pod_of(document):
    spec = document.get("spec", {})
    return spec.get("template", spec.get("jobTemplate", {}).get("spec", {}).get("template", {})).get("spec")


problems = []
for document in documents:
    pod = pod_of(document)
    if not pod:
        continue
    name = f"{document['kind']}/{document['metadata']['name']}"
    containers = pod.get("initContainers", []) + pod.get("containers", [])
    if commands_only:
        for container in containers:
            print(json.dumps(container.get("command", []) + container.get("args", [])))
        continue
    if pod.get("securityContext", {}).get("seccompProfile") != {"type": "RuntimeDefault"}:
        problems.append(f"{name}: pod without seccompProfile RuntimeDefault")
    if pod.get("serviceAccountName") != "elasticc-stream":
        problems.append(f"{name}: not run as the elasticc-stream account (its pull secret)")
    for container in containers:
        context = container.get("securityContext", {})
        where = f"{name} {container['name']}"
        if "command" in container:
            problems.append(f"{where}: replaces the image's entrypoint (tini)")
        if not context.get("readOnlyRootFilesystem") or context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: root file system writable or privilege escalation allowed")
        for probe in ("readinessProbe", "livenessProbe"):
            if probe in container and "timeoutSeconds" not in container[probe]:
                problems.append(f"{where}: {probe} without a timeout")
        words = " ".join(container.get("args", []))
        if "kafka:9092" in words or "tom-postgres" in words:
            problems.append(f"{where}: names a host in its arguments (hosts come from elasticc-settings)")
        if not any(source.get("configMapRef", {}).get("name", "").startswith("elasticc-settings") for source in container.get("envFrom", [])):
            problems.append(f"{where}: does not read elasticc-settings")
        env = {e["name"]: e for e in container.get("env", [])}
        user = env.get("DB_USER", {}).get("valueFrom", {}).get("secretKeyRef", {}).get("name")
        wanted = "elasticc-db-owner" if document["metadata"]["name"] == "elasticc-migrate" else "elasticc-db-writer"
        if "fake-broker" not in container["name"] and user != wanted:
            problems.append(f"{where}: connects as {user}, not {wanted}")
        if overlay == "spin-strimzi" and ("broker-poll" in container["name"] or "fake-broker" in container["name"] or container["name"] == "send"):
            if "KAFKA_PASSWORD" not in env:
                problems.append(f"{where}: a Kafka client without the Strimzi user's password")
    if document["kind"] == "CronJob":
        job = document["spec"]["jobTemplate"]["spec"]
        if job.get("backoffLimit") != 0 or not job.get("activeDeadlineSeconds"):
            problems.append(f"{name}: retries a send or has no deadline")
    if document["metadata"]["name"] == "elasticc-api":
        sources = [s.get("secretRef", {}).get("name") for c in containers for s in c.get("envFrom", [])]
        if "elasticc-query-roles" not in sources:
            problems.append(f"{name}: db/runsqlquery/'s query roles are not wired")

if not commands_only:
    settings = [c for c in kinds.get("ConfigMap", []) if c["metadata"]["name"].startswith("elasticc-settings")]
    if len(settings) != 1 or not {"DB_HOST", "DB_PORT", "DB_NAME", "KAFKA_SERVER"} <= set(settings[0].get("data", {})):
        problems.append("no single elasticc-settings ConfigMap with the database and Kafka hosts")
    for kind in ("ServiceAccount", "NetworkPolicy", "PodDisruptionBudget", "Service"):
        if kind not in kinds:
            problems.append(f"no {kind}")
    policies = {p["metadata"]["name"] for p in kinds.get("NetworkPolicy", [])}
    for wanted in ("elasticc-default-deny-ingress", "elasticc-api-http", "elasticc-database-from-our-pods"):
        if wanted not in policies:
            problems.append(f"no NetworkPolicy {wanted}")
    if overlay.startswith("spin"):
        images = {c["image"] for d in documents if pod_of(d) for c in pod_of(d).get("initContainers", []) + pod_of(d)["containers"]}
        if any(not image.startswith("registry.nersc.gov/") or image.endswith(":latest") for image in images):
            problems.append(f"images not from the registry at a fixed tag: {sorted(images)}")
        if not kinds.get("ServiceAccount", [{}])[0].get("imagePullSecrets"):
            problems.append("no pull secret on the ServiceAccount")
        ingress = (kinds.get("Ingress") or [{}])[0]
        if not ingress.get("spec", {}).get("tls") or "cert-manager.io/cluster-issuer" not in ingress.get("metadata", {}).get("annotations", {}):
            problems.append("no Ingress with TLS from cert-manager")
        if "PodMonitor" not in kinds:
            problems.append("no PodMonitor")
    if overlay == "spin-strimzi" and not ({"KafkaTopic", "KafkaUser"} <= set(kinds)):
        problems.append("no Strimzi KafkaTopic/KafkaUser")
    if overlay == "dev" and "elasticc-fake-broker" not in {d["metadata"]["name"] for d in kinds.get("Deployment", [])}:
        problems.append("the dev overlay has no fake broker")
    print("\n".join(problems))

"""Checks what docker-compose.yaml refers to (resolved by `docker-compose config`) and prints
one problem per line (nothing when all is well):
every image it builds names a Dockerfile that exists; every bind-mounted source exists in the
repository; every named volume is declared; every environment variable given to our image is one
the tools read (a string literal in Sources/).

usage: compose_references.py COMPOSE_FILE REPOSITORY_ROOT
"""
import os
import re
import sys

import compose_config

compose, root = sys.argv[1], sys.argv[2]
config = compose_config.resolved(compose)
literals = set()
for directory, _, files in os.walk(os.path.join(root, "Sources")):
    for name in files:
        if name.endswith(".swift"):
            literals.update(re.findall(r'"([A-Z][A-Z0-9_]{2,})"', open(os.path.join(directory, name), encoding="utf-8").read()))
declared = set((config.get("volumes") or {}).keys())
built = 0
for name, service in config["services"].items():
    build = service.get("build")
    if build:
        built += 1
        context = build["context"] if isinstance(build, dict) else build
        dockerfile = os.path.join(context, build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
        if not os.path.isfile(dockerfile):
            print(f"{name}: builds with {dockerfile}, which does not exist")
    for volume in service.get("volumes") or []:
        # docker-compose 1.x writes "source:target[:mode]", 2.x a mapping.
        if isinstance(volume, str):
            source = volume.split(":")[0]
            kind = "bind" if source.startswith(("/", ".")) else "volume"
        else:
            source, kind = volume.get("source", ""), volume.get("type")
        if kind == "bind" and not os.path.exists(source):
            print(f"{name}: mounts {source}, which does not exist")
        if kind == "volume" and source not in declared:
            print(f"{name}: uses volume {source}, which is not declared")
    if str(service.get("image", "")).startswith("elasticc-stream"):
        for variable in (service.get("environment") or {}):
            if variable not in literals:
                print(f"{name}: sets {variable}, which no tool reads")
if built == 0:
    print("no service builds the image")
# Passwords are required, never defaulted; Compose v2 (the Go implementation) reads the file.
if not compose_config.version().startswith("Docker Compose version v2"):
    print(f"docker-compose is not Compose v2: {compose_config.version()}")
refusal = compose_config.refusal_without(compose, "POSTGRES_PASSWORD")
if "POSTGRES_PASSWORD" not in refusal:
    print(f"the file loads without POSTGRES_PASSWORD: {refusal!r}")

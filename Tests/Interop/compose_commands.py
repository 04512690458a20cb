"""Prints, one JSON list per line, every command line in the compose file that runs one of our
executables (resolved by `docker-compose config`), so the test can feed them to our parsers."""
import json
import shlex
import sys

import compose_config

OURS = {"alert-sender", "fake-broker", "broker-poll", "ppdb", "kafka-mock", "elasticc-api"}


def commands(service):
    entry = service.get("entrypoint") or []
    command = service.get("command") or []
    if isinstance(entry, str):
        entry = shlex.split(entry)
    if isinstance(command, str):
        command = shlex.split(command)
    words = [w for w in entry if w not in ("/usr/bin/tini", "--")] + command
    if words[:2] == ["/bin/sh", "-c"]:
        for part in " ".join(words[2:]).split(";"):
            tokens = shlex.split(part)
            while tokens and tokens[0] in ("do", "then", "while", "true"):
                tokens = tokens[1:]
            if tokens and tokens[0] in OURS:
                yield tokens
    elif words and words[0] in OURS:
        yield words


def main():
    config = compose_config.resolved(sys.argv[1])
    for name, service in config["services"].items():
        for command in commands(service):
            environment = service.get("environment") or {}
            if isinstance(environment, list):  # docker-compose 1.x may list KEY=VALUE
                environment = dict(item.split("=", 1) for item in environment)
            print(json.dumps({"service": name, "command": command,
                              "environment": {k: str(v) for k, v in environment.items() if v is not None}}))


if __name__ == "__main__":
    main()

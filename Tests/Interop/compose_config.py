"""`docker-compose config` of a compose file, every profile's services included: Compose 2.x
leaves services of profiles not asked for out of its output, 1.x keeps them."""
import os
import subprocess

import yaml


def resolved(compose_file):
    with open(compose_file) as raw_file:
        raw = yaml.safe_load(raw_file)
    profiles = sorted({profile for service in raw.get("services", {}).values() for profile in service.get("profiles", [])})
    arguments = ["docker-compose", "-f", compose_file] + [word for profile in profiles for word in ("--profile", profile)] + ["config"]
    # The file requires a database password; a stand-in for reading it.
    environment = {**os.environ, "POSTGRES_PASSWORD": os.environ.get("POSTGRES_PASSWORD", "compose-check")}
    done = subprocess.run(arguments, capture_output=True, text=True, env=environment)
    # PyPI's Compose v2 wrapper exits 0 even when Compose fails: judge by the output too.
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"docker-compose config failed: {done.stderr.strip()}")
    return yaml.safe_load(done.stdout)


def refusal_without(compose_file, variable):
    """What `docker-compose config` says when `variable` is unset (empty: it did not refuse)."""
    environment = {key: value for key, value in os.environ.items() if key != variable}
    done = subprocess.run(["docker-compose", "-f", compose_file, "config"], capture_output=True, text=True, env=environment)
    return done.stderr.strip() if (done.returncode != 0 or not done.stdout.strip()) else ""


def version():
    return subprocess.run(["docker-compose", "version"], capture_output=True, text=True).stdout.strip()

"""`docker-compose config` of a compose file, every profile's services included: Compose 2.x
leaves services of profiles not asked for out of its output, 1.x keeps them."""
import subprocess

import yaml


def resolved(compose_file):
    with open(compose_file) as raw_file:
        raw = yaml.safe_load(raw_file)
    profiles = sorted({profile for service in raw.get("services", {}).values() for profile in service.get("profiles", [])})
    arguments = ["docker-compose", "-f", compose_file] + [word for profile in profiles for word in ("--profile", profile)] + ["config"]
    return yaml.safe_load(subprocess.run(arguments, check=True, capture_output=True, text=True).stdout)

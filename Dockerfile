# Multi-stage build of the ElasticcStream executables on the official Swift image.
#   docker build -t elasticc-stream .        (podman build too; scripts/check-deployment does)
# BUILD_IMAGE and RUNTIME_IMAGE stay the official images; a machine that cannot pull them hands
# in local ones of the same kind (scripts/check-deployment makes them with debootstrap).
ARG BUILD_IMAGE=swift:6.2-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${BUILD_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      pkg-config librdkafka-dev libavro-dev libpq-dev libcfitsio-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY scripts ./scripts
# The same script CI runs; POSIX sh, as /bin/sh is dash here. Symbols stripped: the six
# executables take 440 MB instead of 745 MB.
RUN SWIFT_BUILD_FLAGS=--static-swift-stdlib sh scripts/build-release /out && strip /out/*

FROM ${RUNTIME_IMAGE}
# The runtime packages: one list (deploy/runtime-packages.txt).
COPY deploy/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update && grep -v '^#' /tmp/runtime-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /out/ /usr/local/bin/
USER nobody
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["broker-poll", "--help"]

# Multi-stage build of the ElasticcStream executables on the official Swift image.
FROM swift:6.2-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      pkg-config librdkafka-dev libavro-dev libpq-dev libcfitsio-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY scripts ./scripts
# The same script CI runs; POSIX sh, as /bin/sh is dash here.
RUN SWIFT_BUILD_FLAGS=--static-swift-stdlib sh scripts/build-release /out

FROM debian:bookworm-slim
# The runtime packages: one list, which scripts/check-runtime also installs into a
# debootstrapped bookworm and runs the executables in.
COPY deploy/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update && grep -v '^#' /tmp/runtime-packages.txt | xargs apt-get install -y --no-install-recommends \
    && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /out/ /usr/local/bin/
USER nobody
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["broker-poll", "--help"]

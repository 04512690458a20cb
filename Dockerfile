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
# Runtime libraries: librdkafka and libpq for every service, cfitsio for ppdb load-snana,
# pg_restore for ppdb restore, curl for the health checks on /ready; avro-c is a test oracle
# and stays out.
RUN apt-get update && apt-get install -y --no-install-recommends \
      librdkafka1 libpq5 libcfitsio10 postgresql-client ca-certificates tini curl \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
USER nobody
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["broker-poll", "--help"]

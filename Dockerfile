# Multi-stage build of the ElasticcStream executables on the official Swift image.
FROM swift:6.0-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      pkg-config librdkafka-dev libavro-dev libpq-dev libcfitsio-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib \
      --product alert-sender --product fake-broker --product broker-poll --product ppdb --product kafka-mock \
    && mkdir /out && cp "$(swift build -c release --show-bin-path)"/{alert-sender,fake-broker,broker-poll,ppdb,kafka-mock} /out/

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      librdkafka1 libavro23 libpq5 libcfitsio10 postgresql-client ca-certificates tini \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/ /usr/local/bin/
USER nobody
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["broker-poll", "--help"]

# A stand-in for the official postgres:15-bookworm image where it cannot be pulled: Debian's
# PostgreSQL 15 on a local bookworm, started the way the official image is (POSTGRES_PASSWORD,
# POSTGRES_DB, PGDATA, PGPORT), so docker/postgres-q3c.Dockerfile builds on it unchanged.
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
CMD ["postgres"]

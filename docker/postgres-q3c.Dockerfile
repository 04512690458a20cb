# PostgreSQL 15 with q3c, which the TOM's cone searches use. POSTGRES_IMAGE stays the official
# image; scripts/check-deployment hands in a local stand-in where nothing can be pulled.
ARG POSTGRES_IMAGE=postgres:15-bookworm
FROM ${POSTGRES_IMAGE}
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15-q3c && rm -rf /var/lib/apt/lists/*

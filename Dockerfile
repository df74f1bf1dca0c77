# dialhook: one image with all three binaries; each compose service picks its
# command (dialhook-ingest, dialhook-processor, dialhookctl ...). There is no
# ENTRYPOINT wrapper: CMD in exec form makes the binary PID 1, so SIGTERM from
# `docker stop` reaches it directly and it drains. One image rather than three
# targets so that `docker compose run --rm ingest dialhookctl reprocess ...`
# works with the image an operator already has.

FROM debian:12-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config \
      libevent-dev libpq-dev libsodium-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile VERSION ./
COPY common/ common/
COPY ingest/ ingest/
COPY processor/ processor/
COPY sql/ sql/
RUN make -j"$(nproc)" all && strip bin/*

FROM debian:12-slim AS runtime
# Only the runtime libraries; bash is already in the base image (healthcheck).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libevent-2.1-7 libpq5 libsodium23 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/dialhook --create-home dialhook \
 && mkdir -p /var/lib/dialhook/spool && chown dialhook /var/lib/dialhook/spool
COPY --from=build /src/bin/dialhook-ingest /src/bin/dialhook-processor /src/bin/dialhookctl /usr/local/bin/
USER dialhook
WORKDIR /var/lib/dialhook
ENV DIALHOOK_LISTEN=0.0.0.0:8080 \
    DIALHOOK_METRICS_LISTEN=0.0.0.0:9090
EXPOSE 8080 9090
# GET /healthz of whichever daemon is PID 1 (ingest on DIALHOOK_LISTEN's port,
# the processor on DIALHOOK_METRICS_LISTEN's port), with bash's /dev/tcp: no
# curl in the image. One-shot containers (migrate, a purge job) serve nothing:
# they turn it off (compose `healthcheck: disable: true`, `docker run
# --no-healthcheck`), or they would show as starting and then unhealthy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "case $(cat /proc/1/comm) in dialhook-proces*) a=${DIALHOOK_METRICS_LISTEN:-127.0.0.1:9090};; *) a=${DIALHOOK_LISTEN:-0.0.0.0:8080};; esac; exec 3<>/dev/tcp/127.0.0.1/${a##*:} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && read -r -t 2 s <&3 && [[ $s == *' 200 '* ]]"]
CMD ["dialhook-ingest"]

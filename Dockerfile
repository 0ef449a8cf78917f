# Switchboard in a container: a multi-stage build, a slim runtime with espeak-ng (for
# `say`), running as a non-root user, the data in a volume, a health check on /health.
# docker-compose.yml at the repository's root runs it with PostgreSQL, a mail catcher
# and the example webhook app.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p switchboard-api

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /var/lib/switchboard --create-home switchboard
COPY --from=build /src/target/release/switchboard /usr/local/bin/switchboard
USER switchboard
ENV SWITCHBOARD_DATA_DIR=/var/lib/switchboard \
    SWITCHBOARD_HTTP_ADDR=0.0.0.0:8080 \
    SWITCHBOARD_SIP_ADDR=0.0.0.0:5060 \
    SWITCHBOARD_RTP_PORTS=10000-10199
VOLUME ["/var/lib/switchboard"]
EXPOSE 8080/tcp 5060/udp 5060/tcp 10000-10199/udp
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["switchboard"]

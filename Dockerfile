# The endpoints server in a container. See docs/deploy.md.
#
#   docker build -t endpoints .                          # the server (XSLT 1.0 on libxslt)
#   docker build -t endpoints:jvm --build-arg WITH_JVM=1 .   # also Java, Saxon-HE and Apache FOP (XSLT 2.0+, PDF)
#   docker run -p 8080:8080 -v "$PWD/myapp:/app:ro" -v endpoints-state:/var/lib/endpoints endpoints
#
# The application is mounted at /app (ENDPOINTS_APP_DIR), the state (SQLite file, compiled JVM worker) lives in
# the volume /var/lib/endpoints (ENDPOINTS_DATA_DIR). tests/deploy.rs runs this file's setup step and its
# command line against the real binary.

# ---- build: the release binary ----
FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libxml2-dev libxslt1-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin endpoints \
 && install -m 0755 target/release/endpoints /usr/local/bin/endpoints

# ---- run: only the runtime libraries ----
FROM debian:bookworm-slim
# 1 adds the JVM worker's packages: a JDK (the worker is compiled with javac on first use), Saxon-HE, Apache FOP.
# (The JDK's installer needs /usr/share/man/man1, which the slim image leaves out.)
ARG WITH_JVM=0
RUN jvm=; if [ "$WITH_JVM" = 1 ]; then jvm="default-jdk-headless libsaxonhe-java fop"; mkdir -p /usr/share/man/man1; fi \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates tzdata libxml2 libxslt1.1 $jvm \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --gid 10001 endpoints \
 && useradd --uid 10001 --gid endpoints --no-create-home --home-dir /var/lib/endpoints --shell /usr/sbin/nologin endpoints \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/endpoints \
 && install -d -m 0755 /app
COPY --from=build /usr/local/bin/endpoints /usr/local/bin/endpoints
ENV ENDPOINTS_APP_DIR=/app \
    ENDPOINTS_LISTEN=0.0.0.0:8080 \
    ENDPOINTS_DATA_DIR=/var/lib/endpoints \
    ENDPOINTS_JVM_CACHE=/var/lib/endpoints/jvm-cache
VOLUME /var/lib/endpoints
USER 10001:10001
EXPOSE 8080
# bash's /dev/tcp: the slim image has no curl or wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/"${ENDPOINTS_LISTEN##*:}" && printf "GET /health-check HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" >&3 && read -r _ code _ <&3 && [ "$code" = 200 ]'
# SIGTERM: stop accepting, let requests in flight finish for up to --shutdown-timeout seconds (kept below
# `docker stop`'s default 10 s; raise both together: docker run --stop-timeout 40 … serve --shutdown-timeout 30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["endpoints"]
CMD ["serve", "--shutdown-timeout", "8"]

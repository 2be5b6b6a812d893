# The OpenFaaS function image: of-watchdog (mode=http) in front of deathstar-openfaas.
# `faas-cli up -f stack.yml` builds it once per function; DS_FUNCTIONS (set in stack.yml)
# decides which function a container hosts, so every function is the same image.
#
#   docker build -t deathstar-openfaas .
#
# Build stage: the whole workspace, release profile.
FROM --platform=${BUILDPLATFORM:-linux/amd64} rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p deathstar-openfaas \
    && cp target/release/deathstar-openfaas /deathstar-openfaas

# OpenFaaS's watchdog, from its official image.
FROM ghcr.io/openfaas/of-watchdog:0.10.11 AS watchdog

# Runtime: glibc and CA certificates only, no shell, runs as an unprivileged user.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
COPY --from=build /deathstar-openfaas /usr/bin/deathstar-openfaas
# The watchdog listens on 8080 (its Prometheus metrics on 8081, hard-wired) and forwards each
# request to the function server on 8082; stack.yml sets the timeouts.
ENV mode=http \
    fprocess=/usr/bin/deathstar-openfaas \
    upstream_url=http://127.0.0.1:8082 \
    DS_LISTEN=127.0.0.1:8082 \
    prefix_logs=false
USER nonroot
EXPOSE 8080
CMD ["/usr/bin/fwatchdog"]

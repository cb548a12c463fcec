# syntax=docker/dockerfile:1
# isolationd: build with the Swift 6.3 toolchain, run on slim Debian with only the C libraries
# the binary links (libssl3, zlib; libc and libstdc++ come with the base image), plus libpq5,
# which the binary loads only when `database.url` is set (many replicas over PostgreSQL).
# The build and runtime images share one Debian release (bookworm), so glibc matches.
# scripts/build-release.sh performs the same build and a smoke run without Docker.

ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# ---- build ---------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev zlib1g-dev libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so source edits do not refetch them.
COPY Package.swift ./
COPY Package.resolved* ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product isolationd \
 && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/isolationd" /out/isolationd \
 && strip /out/isolationd

# ---- runtime -------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 zlib1g libpq5 python3-minimal \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin isolationd
COPY --from=build /out/isolationd /usr/local/bin/isolationd
# The default config declares the example process agents (Python, stdlib only) from agents/;
# prlimit (util-linux, in the base image) applies their resource limits.
COPY config/isolationd.json /etc/isolationd/isolationd.json
COPY config/agents /etc/isolationd/agents

# The file keeps host 127.0.0.1 for local runs; in the container listen on every address. The
# default file accepts the published demo keys, which are refused off loopback: mount a config
# with keys of your own, or set ISOLATIOND_ALLOW_DEMO_KEYS=1 for a local try.
ENV ISOLATIOND_CONFIG=/etc/isolationd/isolationd.json \
    ISOLATIOND_HOST=0.0.0.0 \
    ISOLATIOND_PORT=8080 \
    ISOLATIOND_LOG_FORMAT=json

# Nothing is written at run time: the root filesystem may be mounted read-only.
USER 10001:10001
WORKDIR /
EXPOSE 8080
# The process handles SIGTERM itself (drain, exit 0) and ignores SIGPIPE; it runs as PID 1.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD ["/usr/local/bin/isolationd", "healthcheck", "--timeout", "2"]
ENTRYPOINT ["/usr/local/bin/isolationd"]
CMD ["serve"]

# Shardline node image (docker-compose.yml runs three of them).
#   docker build -t shardline .
#   docker run --rm shardline --help
# The build stage compiles shardline and shardctl statically; the runtime
# stage is debian-slim with curl for the compose health check (GET /healthz).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/ ./cmd/shardline ./cmd/shardctl

FROM debian:bookworm-slim
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates curl \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --home-dir /var/lib/shardline shardline \
	&& mkdir -p /var/lib/shardline && chown shardline /var/lib/shardline
COPY --from=build /out/shardline /out/shardctl /usr/local/bin/
# The compose node configs; mount your own over /etc/shardline to change them.
COPY scripts/demo/docker/ /etc/shardline/
USER shardline
VOLUME /var/lib/shardline
# MySQL protocol, admin HTTP, Raft.
EXPOSE 6033 9090 7001
ENTRYPOINT ["shardline"]
CMD ["--config", "/etc/shardline/n1.yaml"]

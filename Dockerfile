# One Dockerfile for every service: docker build --build-arg SERVICE=capture -t hoggo/capture .
# SERVICE is a binary name (capture, feature-flags, cymbal, property-defs, batch-import-worker,
# kafka-deduplicator, cyclotron-janitor, cyclotron-fetch, hogvm, hook-api, hook-worker, hook-janitor, migrate).
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
ARG SERVICE
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    set -eu; dir=$(find . -path "*/cmd/${SERVICE}" -type d | head -1); \
    test -n "$dir" || { echo "unknown SERVICE ${SERVICE}"; exit 1; }; \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/service "$dir"

FROM gcr.io/distroless/static-debian12:nonroot AS runtime
ARG SERVICE
ENV SERVICE=${SERVICE}
COPY --from=build /out/service /usr/local/bin/service
USER nonroot
ENTRYPOINT ["/usr/local/bin/service"]

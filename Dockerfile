# syntax=docker/dockerfile:1
#
# Two ways to build the same minimal image:
#
#   docker build -t aigw-console .                       # compiles in a Go stage
#   make build && buildah bud --target prebuilt -t aigw-console .
#                                                       # packs bin/aigw-console
#
# Base images are build arguments so builds that cannot pull from a registry
# can point them at local images.
ARG GO_IMAGE=golang:1.26
ARG RUNTIME_IMAGE=scratch

FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/aigw-console ./cmd/aigw-console

FROM ${RUNTIME_IMAGE} AS image
ARG VERSION=dev
LABEL org.opencontainers.image.title="aigw-console" \
      org.opencontainers.image.description="REST and WebSocket console backend for Envoy AI Gateway" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/aigw-console /aigw-console
USER 65532:65532
ENTRYPOINT ["/aigw-console"]

# prebuilt packs a binary built outside (make build) into the same layout.
FROM ${RUNTIME_IMAGE} AS prebuilt
ARG VERSION=dev
LABEL org.opencontainers.image.title="aigw-console" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY bin/aigw-console /aigw-console
USER 65532:65532
ENTRYPOINT ["/aigw-console"]

# The default target is the compiled image.
FROM image

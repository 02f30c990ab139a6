# syntax=docker/dockerfile:1
#
# Two ways to build the same minimal image (a static binary on scratch, user
# 65532, no shell):
#
#   docker build -t aigw-console .        # compiles in a Go stage (needs golang:1.26)
#   make image                            # packs bin/aigw-console (make build) with
#                                         # buildah --target prebuilt; pulls nothing
#
# Base images are build arguments, so a build that cannot pull from a registry
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

# image is the default target: the binary compiled above, with the system CA
# bundle for the TLS endpoints outside the cluster (the API server's CA comes
# with the ServiceAccount token).
FROM ${RUNTIME_IMAGE} AS image
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="aigw-console" \
      org.opencontainers.image.description="REST and WebSocket console backend for Envoy AI Gateway" \
      org.opencontainers.image.source="https://github.com/aigw-console/aigw-console" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/aigw-console /aigw-console
USER 65532:65532
ENTRYPOINT ["/aigw-console"]

# prebuilt packs a static binary built outside (make build: CGO_ENABLED=0)
# into the same layout, without the CA bundle (nothing to copy it from
# without a base image; the console reaches only the API server today).
FROM ${RUNTIME_IMAGE} AS prebuilt
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="aigw-console" \
      org.opencontainers.image.description="REST and WebSocket console backend for Envoy AI Gateway" \
      org.opencontainers.image.source="https://github.com/aigw-console/aigw-console" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY bin/aigw-console /aigw-console
USER 65532:65532
ENTRYPOINT ["/aigw-console"]

# The default target is the compiled image.
FROM image

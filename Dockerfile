# syntax=docker/dockerfile:1
# seatwarden in a small image: a release build with cached dependency layers (cargo-chef), run from
# distroless/cc (glibc, libgcc, CA certificates; no shell, no package manager) as uid 10001.
# rustls everywhere, so no OpenSSL.
#
#   docker build -t seatwarden .
#   docker run --rm --read-only --tmpfs /tmp -v "$PWD/config:/etc/seatwarden:ro" \
#     -v seatwarden-store:/var/lib/seatwarden seatwarden reconcile --dry-run
#
# The process writes only to the store path (/var/lib/seatwarden: mount a volume there) and /tmp;
# the root filesystem may be read-only. .ci/smoke-image proves the runtime stage's layout on a
# machine without a Docker engine (see README "Running in a container").

ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

# The dependency recipe: changes only when Cargo.toml / Cargo.lock do.
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin seatwarden
COPY . .
RUN cargo build --release --locked --bin seatwarden \
 && mkdir -p /rootfs/var/lib/seatwarden

FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
# The passwd and group entries of uid 10001 (the same files .ci/smoke-image puts in its root).
COPY deploy/image/passwd deploy/image/group /etc/
COPY --from=build --chown=10001:10001 /rootfs/var/lib/seatwarden /var/lib/seatwarden
COPY --from=build /src/target/release/seatwarden /usr/local/bin/seatwarden
ENV SEATWARDEN_CONFIG=/etc/seatwarden/seatwarden.toml
USER 10001:10001
WORKDIR /var/lib/seatwarden
ENTRYPOINT ["/usr/local/bin/seatwarden"]
CMD ["--help"]

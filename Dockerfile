# seatwarden: a static-ish Rust binary on a slim Debian base. rustls everywhere, so no OpenSSL.
#   docker build -t seatwarden .
#   docker run --rm -v $PWD/config:/config seatwarden --config /config/seatwarden.toml reconcile --dry-run
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY config ./config
COPY assets ./assets
COPY benches ./benches
COPY tests ./tests
RUN cargo build --release --locked --bin seatwarden

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/seatwarden --create-home seatwarden
COPY --from=build /src/target/release/seatwarden /usr/local/bin/seatwarden
USER 10001
WORKDIR /var/lib/seatwarden
ENTRYPOINT ["seatwarden"]
CMD ["--help"]

# otadoctor in a container: a static (musl) binary on an empty image, run as a non-root user.
#   docker build -t otadoctor .
#   docker run --rm -v "$PWD:/src" otadoctor check .
# No CA bundle and no shell inside: otadoctor judges servers against Apple's iOS trust store,
# compiled into the binary (extra roots: --ca-file on a mounted file), and Docker provides
# /etc/resolv.conf and /etc/hosts.

FROM rust:1.95-bookworm AS build
# musl-gcc: ring's C and assembly are compiled for the musl target
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools=1.2.3-1 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY . .
RUN target="$(uname -m)-unknown-linux-musl" \
 && rustup target add "$target" \
 && cargo build --release --locked --target "$target" \
 && install -D -m 0755 "target/$target/release/otadoctor" /out/otadoctor \
 && mkdir -m 1777 /out/tmp /out/src

FROM scratch
COPY --from=build /out/otadoctor /otadoctor
# --deep's scratch files go to /tmp
COPY --from=build /out/tmp /tmp
COPY --from=build --chown=65532:65532 /out/src /src
# no /etc/passwd on scratch: a numeric user
USER 65532:65532
WORKDIR /src
ENV PATH=/
ENTRYPOINT ["otadoctor"]
CMD ["--help"]

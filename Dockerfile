# cgleak agent image (deploy/kubernetes/daemonset.yaml). Build: docker build -t cgleak .
# Both stages are Debian bookworm, so the node binary copied from the first finds its glibc in the second.
FROM docker.io/library/node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 downloads a prebuilt addon, or compiles one with these and node's own headers
# (nodedir: no header download either).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
# Behind a TLS-intercepting proxy, name its CA bundle here and mount it for the build (image/build.sh
# does, with podman build -v); unset, npm trusts node's own CA list as usual.
ARG NODE_EXTRA_CA_CERTS
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
# Only what runs: no tests, types, maps or sources, and of better-sqlite3 only its addon.
RUN npm run build && npm prune --omit=dev \
 && find dist -name '*.test.js' -delete \
 && find dist node_modules \( -name '*.map' -o -name '*.ts' -o -name '*.md' \) -type f -delete \
 && cd node_modules/better-sqlite3 && rm -rf deps src \
 && find build -type f ! -path build/Release/better_sqlite3.node -delete && find build -type d -empty -delete

FROM docker.io/library/debian:bookworm-slim
# journalctl (from systemd) reads the host's journal under /host; ca-certificates is the trust that
# NODE_EXTRA_CA_CERTS adds to node's own (mount your own bundle over it for a private CA).
RUN apt-get update && apt-get install -y --no-install-recommends systemd ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /usr/share/doc/* /usr/share/man/*
COPY --from=build /usr/local/bin/node /usr/local/bin/node
# The host is expected at /host (`-v /:/host:ro`, or the DaemonSet's mounts): every command reads it.
ENV NODE_ENV=production NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt CGLEAK_HOST_ROOT=/host
WORKDIR /opt/cgleak
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
# The page at / (served from the source folder, as the npm package ships it).
COPY src/web ./src/web
COPY deploy ./deploy
COPY docs ./docs
RUN ln -s /opt/cgleak/dist/cli/cgleak.cjs /usr/local/bin/cgleak && chmod +x dist/cli/cgleak.cjs \
 && mkdir -p /var/lib/cgleak && chown 65532:65532 /var/lib/cgleak
# Non-root by default: reading /host/proc and /host/sys/fs/cgroup needs no privilege. The
# remediation overlay's writer container runs as root (cgroup writes); see deploy/overlays.
USER 65532:65532
EXPOSE 19597
ENTRYPOINT ["node", "/opt/cgleak/dist/cli/cgleak.cjs"]
CMD ["serve", "--host-root=/host", "--listen=0.0.0.0:19597"]

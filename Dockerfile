# cgleak agent image (deploy/kubernetes/daemonset.yaml). Build: docker build -t cgleak .
FROM node:20-slim AS build
WORKDIR /src
# better-sqlite3 compiles a native addon when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /opt/cgleak
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY deploy ./deploy
COPY docs ./docs
RUN ln -s /opt/cgleak/dist/cli/cgleak.cjs /usr/local/bin/cgleak && chmod +x dist/cli/cgleak.cjs \
 && mkdir -p /var/lib/cgleak && chown 65532:65532 /var/lib/cgleak
# Non-root by default: reading /host/proc and /host/sys/fs/cgroup needs no privilege. The
# remediation overlay runs as root (cgroup writes, host sentinel); see deploy/kubernetes.
USER 65532:65532
EXPOSE 19597
ENTRYPOINT ["node", "/opt/cgleak/dist/cli/cgleak.cjs"]
CMD ["serve", "--host-root=/host", "--listen=0.0.0.0:19597"]

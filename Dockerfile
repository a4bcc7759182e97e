# Loom in a container: `docker build -t loom .` then see compose.yaml, or
#   docker run -p 8080:8080 -v loom-data:/data loom
# (SQLite and keys under /data; the admin key is printed once on the first start.)

# --- build: compile TypeScript and the native addon (better-sqlite3), then drop dev packages.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# The SDK is a workspace package: npm ci needs its folder (it is built, not served).
COPY packages ./packages
# `npm ci` runs the prepare script, which compiles src/ to dist/.
RUN npm ci --no-audit --no-fund \
  && npm prune --omit=dev --no-audit --no-fund

# --- run: the compiled service, its production packages, as an unprivileged user.
FROM node:20-bookworm-slim
# Fonts for the text of generated specimen documents (the MRZ's OCR-B ships with Loom).
RUN apt-get update \
  && apt-get install -y --no-install-recommends fonts-dejavu-core tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    LOOM_DATA_DIR=/data \
    PORT=8080
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The hosted page's and the console's browser files are served as written (not compiled): beside
# the compiled modules that read them.
COPY --from=build /app/src/web/static ./dist/web/static
COPY --from=build /app/src/console/static ./dist/console/static
COPY --from=build /app/bin ./bin
# The face recognition network (read at run time from models/, beside dist/).
COPY models ./models
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"
# tini forwards SIGTERM to Node and reaps children, so `docker stop` is a graceful shutdown.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/loom.js"]
CMD ["serve"]

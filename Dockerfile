# Tessera as a container image (README, "Deploying with Docker"); compose.yaml runs two of them.
# Written on a machine without a Docker engine, so never built there: test/e2e/deployment.e2e-spec.ts
# keeps it in step with the code (port, health path, environment) and checks the rules hadolint
# would (pinned bases, non-root user, exec-form commands).

# --- build: every dependency, the TypeScript and the web pages (dist/src, dist/web)
FROM node:20.19.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No dependency's install script runs (none is needed, see README, "npm ci runs no dependency's
# install script"); npm 10 in this image does not read package.json's allowScripts, so say it here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# --- production dependencies only, without the build tools
FROM node:20.19.0-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# --- runtime
FROM node:20.19.0-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
# Read-only for the service's user: it owns only DATA_DIR (the embedded database, when a single
# container runs without DATABASE_URL; unused on PostgreSQL).
COPY --from=dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /app/data && chown node:node /app/data && chmod 700 /app/data
USER node
EXPOSE 3000
# Ready = migrations done and the database answering (200 also when Redis is down: "degraded").
# node rather than curl, which the slim image does not have.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]

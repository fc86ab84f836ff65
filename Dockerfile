# One image for every process kind; the command picks the role (api, worker or dashboard).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/
COPY apps/dashboard/package.json apps/dashboard/
COPY packages/client/package.json packages/client/
COPY packages/config/package.json packages/config/
COPY packages/contracts/package.json packages/contracts/
COPY packages/engine/package.json packages/engine/
COPY packages/queue/package.json packages/queue/
COPY packages/storage/package.json packages/storage/
COPY packages/test-utils/package.json packages/test-utils/
# tsx runs the TypeScript sources directly, so dev dependencies are part of the image.
RUN npm ci --include=dev --no-audit --no-fund
COPY tsconfig.base.json ./
COPY apps apps
COPY packages packages
RUN mkdir -p /data && chown node:node /data
USER node
ENV HOST=0.0.0.0 DATA_DIR=/data
EXPOSE 3000
CMD ["node", "--import", "tsx", "apps/api/src/main.ts"]

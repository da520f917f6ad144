export { configFromEnv, type LocalCloudConfig } from './config.js';
export type { Face } from './face.js';
export { isUpstashRedisFace, type UpstashOutageMode, type UpstashRedisFace } from './faces/upstash-redis.js';
export { type LocalCloud, startLocalCloud } from './server.js';

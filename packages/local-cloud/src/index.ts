export {
  configFromEnv,
  type LocalCloudConfig,
  PLANETSCALE_PRODUCTION_LIMITS,
  type PlanetScaleAccount,
  type PlanetScaleLimits,
  planetScaleAccount,
  planetScaleUrl,
} from './config.js';
export { CONTROL_TOKEN_HEADER } from './control-access.js';
export type { Face } from './face.js';
export { isUpstashRedisFace, type UpstashOutageMode, type UpstashRedisFace } from './faces/upstash-redis.js';
export { type LocalCloud, startLocalCloud } from './server.js';

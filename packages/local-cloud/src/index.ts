export { configFromEnv, type LocalCloudConfig } from './config.js';
export type { Face } from './face.js';
export { type LocalCloud, startLocalCloud } from './server.js';

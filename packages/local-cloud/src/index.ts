export { startLocalCloud, type LocalCloud } from './server.js';
export { configFromEnv, type LocalCloudConfig } from './config.js';
export type { Face } from './face.js';

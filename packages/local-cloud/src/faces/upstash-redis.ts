import type { LocalCloudConfig } from '../config.js';
import type { Face } from '../face.js';

// Placeholder replaced by the face's implementation in this same change set.
export function createUpstashRedisFace(_config: LocalCloudConfig): Face {
  throw new Error('upstash-redis face: not written yet');
}

import type { LocalCloudConfig } from '../config.js';
import type { Face } from '../face.js';
import { createNeonFace } from './neon.js';
import { createPlanetScaleFace } from './planetscale.js';
import { createUpstashRedisFace } from './upstash-redis.js';

/** Every face local-cloud serves, in matching order. */
export function createFaces(config: LocalCloudConfig): Face[] {
  return [createUpstashRedisFace(config), createPlanetScaleFace(config), createNeonFace(config)];
}

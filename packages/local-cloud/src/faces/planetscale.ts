import type { LocalCloudConfig } from '../config.js';
import type { Face } from '../face.js';

// Placeholder replaced by the face's implementation in this same change set.
export function createPlanetScaleFace(_config: LocalCloudConfig): Face {
  throw new Error('planetscale face: not written yet');
}

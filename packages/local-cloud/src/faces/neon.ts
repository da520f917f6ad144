import type { LocalCloudConfig } from '../config.js';
import type { Face } from '../face.js';

// Placeholder replaced by the face's implementation in this same change set.
export function createNeonFace(_config: LocalCloudConfig): Face {
  throw new Error('neon face: not written yet');
}

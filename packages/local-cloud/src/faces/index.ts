import type { LocalCloudConfig } from '../config.js';
import type { Face } from '../face.js';
import { createKafkaFace } from './kafka.js';
import { createNeonFace } from './neon.js';
import { createOAuthFace } from './oauth.js';
import { createOpenAiFace } from './openai.js';
import { createOtlpFace } from './otlp.js';
import { createPlanetScaleFace } from './planetscale.js';
import { createTossFace } from './toss.js';
import { createUpstashRedisFace } from './upstash-redis.js';

/**
 * Every face local-cloud serves, in matching order. Paths (the workers' local base URLs):
 *   /redis                      Upstash Redis REST         (UPSTASH_REDIS_REST_URL = <cloud>/redis)
 *   /psdb.v1alpha1.Database/*   PlanetScale HTTP           (Basic-auth username = MySQL database)
 *   /v1 (WebSocket), /sql       Neon
 *   /kafka                      Upstash Kafka REST         (UPSTASH_KAFKA_REST_URL = <cloud>/kafka)
 *   /toss                       Toss Payments              (TOSS_API_URL = <cloud>/toss; client calls /v1/payments/...)
 *   /openai/v1                  OpenAI chat completions    (OPENAI_BASE_URL = <cloud>/openai/v1)
 *   /oauth/kakao, /oauth/google social login providers
 *   /otlp/v1/metrics, /metrics  OTLP receiver, Prometheus text
 * Faces with test switches take them as JSON at `<face path>/__control`.
 */
export function createFaces(config: LocalCloudConfig): Face[] {
  return [
    createUpstashRedisFace(config),
    createPlanetScaleFace(config),
    createNeonFace(config),
    createOAuthFace(),
    createTossFace({ secretKeys: config.tossSecretKeys }),
    createOpenAiFace({ keys: config.openAiKeys }),
    createKafkaFace(config),
    createOtlpFace(),
  ];
}

/**
 * The original Moalog Platform's load-test report (2026-02-15; Docker Desktop on macOS, Apple Silicon, 4 CPUs and
 * 8 GB; k6 v1.3.0; 14 containers): the figures this project's report sets its own beside.
 */

export const ORIGINAL_ENVIRONMENT = 'Docker Desktop (macOS, Apple Silicon), 4 CPUs, 8 GB; k6 v1.3.0; 14 containers';

export interface OriginalScenario {
  vusAndDuration: string;
  rps?: number;
  p50Ms?: number;
  p95Ms?: number;
  p99Ms?: number;
  errorRate?: string;
  notes: string[];
}

export const ORIGINAL_SCENARIOS: Record<string, OriginalScenario> = {
  baseline: {
    vusAndDuration: '100 VUs / 5 min',
    rps: 59,
    p50Ms: 16,
    p95Ms: 125,
    p99Ms: 770,
    errorRate: '0 %',
    notes: ['p95 < 500 ms: PASS', 'errors < 1 %: PASS'],
  },
  'rate-limiter': {
    vusAndDuration: '50 VUs / 3 min',
    notes: ['27,664 requests', '27,646 answered 429 (99.99 %)', '1 answered 2xx', '0 answered 5xx', 'verdict: PASS'],
  },
  'payment-concurrency': {
    vusAndDuration: '20 VUs / 2 min',
    notes: ['0 duplicate payments', '0 5xx other than 502', 'many 502 (the payment engine could not reach Toss)', 'verdict: PASS'],
  },
  'mixed-load': {
    vusAndDuration: '200 VUs / 10 min',
    rps: 108,
    p50Ms: 27,
    p95Ms: 672,
    p99Ms: 2350,
    errorRate: '0.07 % (429 excluded)',
    notes: ['traffic: reads 70 % / AI 20 % / payments 10 %', 'p95 < 1000 ms, p99 < 3000 ms, errors < 2 %: PASS'],
  },
};

/** Peak CPU and memory per service during the original's mixed-load run. */
export const ORIGINAL_RESOURCES: Array<{ service: string; cpu: string; memory: string }> = [
  { service: 'moalog-server (Rust/Axum)', cpu: '45 %', memory: '324 MB' },
  { service: 'rate-limiter (Kotlin/WebFlux)', cpu: '49 %', memory: '312 MB' },
  { service: 'fluxpay-engine (Java/WebFlux)', cpu: '38 %', memory: '420 MB' },
  { service: 'MySQL 8.0', cpu: '33 %', memory: '381 MB' },
  { service: 'Redis 7', cpu: '14 %', memory: '5 MB' },
  { service: 'PostgreSQL 16', cpu: '12 %', memory: '45 MB' },
];

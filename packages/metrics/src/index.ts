export { Aggregator, type Attributes, type AttributeValue, attributeEntries, type MetricBatch } from './aggregator.js';
export {
  type RateLimitDecisionKind,
  recordAiCall,
  recordEventConsumed,
  recordIdempotentReplay,
  recordOutboxRelay,
  recordPayment,
  recordRateLimitDecision,
} from './business.js';
export {
  MetricsConfigError,
  type MetricsEnv,
  type MetricsSettings,
  metricsFromEnv,
  otlpMetricsUrl,
  parseMetricsSettings,
  parseOtlpHeaders,
} from './config.js';
export {
  forwardedRouteTemplate,
  type HttpMetricsOptions,
  httpMetrics,
  matchedRouteTemplate,
  ROUTE_HEADER,
  type RouteResolver,
} from './hono.js';
export {
  HTTP_DURATION_BOUNDARIES,
  INSTRUMENTS,
  type InstrumentDescriptor,
  METRIC,
  type MetricName,
  prometheusLabelName,
  prometheusName,
  prometheusNameOf,
} from './instruments.js';
export {
  activeMetrics,
  counter,
  createMetrics,
  flushMetricsIfDue,
  histogram,
  Metrics,
  type MetricsOptions,
  type OtlpProtocol,
  resetMetricsRegistry,
  SCOPE,
  type WaitUntil,
} from './metrics.js';
export { type ExportRequest, encodeOtlpJson, encodeOtlpProtobuf, OTLP_JSON_CONTENT_TYPE, OTLP_PROTOBUF_CONTENT_TYPE } from './otlp.js';

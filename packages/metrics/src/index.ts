export { Aggregator, attributeEntries, type AttributeValue, type Attributes, type MetricBatch } from './aggregator.js';
export {
  recordAiCall,
  recordEventConsumed,
  recordIdempotentReplay,
  recordOutboxRelay,
  recordPayment,
  recordRateLimitDecision,
  type RateLimitDecisionKind,
} from './business.js';
export { metricsFromEnv, otlpMetricsUrl, parseMetricsSettings, parseOtlpHeaders, MetricsConfigError, type MetricsEnv, type MetricsSettings } from './config.js';
export { forwardedRouteTemplate, httpMetrics, matchedRouteTemplate, ROUTE_HEADER, type HttpMetricsOptions, type RouteResolver } from './hono.js';
export {
  HTTP_DURATION_BOUNDARIES,
  INSTRUMENTS,
  METRIC,
  prometheusLabelName,
  prometheusName,
  prometheusNameOf,
  type InstrumentDescriptor,
  type MetricName,
} from './instruments.js';
export {
  activeMetrics,
  counter,
  createMetrics,
  flushMetricsIfDue,
  histogram,
  Metrics,
  resetMetricsRegistry,
  SCOPE,
  type MetricsOptions,
  type OtlpProtocol,
  type WaitUntil,
} from './metrics.js';
export { encodeOtlpJson, encodeOtlpProtobuf, OTLP_JSON_CONTENT_TYPE, OTLP_PROTOBUF_CONTENT_TYPE, type ExportRequest } from './otlp.js';

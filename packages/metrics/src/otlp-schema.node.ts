import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The .proto subset of opentelemetry-proto this package writes (Node only: tests and local-cloud). */
export const OTLP_PROTO_ROOT = fileURLToPath(new URL('../proto', import.meta.url));

let root: protobuf.Root | undefined;

export function otlpProtoRoot(): protobuf.Root {
  if (root) return root;
  const loaded = new protobuf.Root();
  loaded.resolvePath = (_origin, target) => join(OTLP_PROTO_ROOT, target);
  loaded.loadSync(['opentelemetry/proto/collector/metrics/v1/metrics_service.proto', 'google/rpc/status.proto'], { keepCase: false });
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

export const OTLP_TYPES = {
  exportRequest: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  exportResponse: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
  status: 'google.rpc.Status',
} as const;

export function otlpType(name: keyof typeof OTLP_TYPES): protobuf.Type {
  return otlpProtoRoot().lookupType(OTLP_TYPES[name]);
}

/**
 * OpenTelemetry spans and a duration histogram for every storage operation.
 *
 *   npx tsx examples/observe-opentelemetry.ts
 *
 * Uses only `@opentelemetry/api` (an optional peer dependency of stowage).
 * Without an SDK registered the API is a no-op, so this runs as is; register
 * your SDK (NodeSDK, a tracer provider and exporter) before it in a real app
 * and the spans and metrics flow to your backend.
 *
 * `observe` reports an operation when it ends, so each span is created with
 * its real start time (`now - ms`) and ended at once. Keys go into attributes;
 * drop `storage.key` if your keys carry personal data. Events never contain
 * a secret (no presigned URL, no body, no error message).
 */
import { metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { layer } from 'stowage';
import { memory } from 'stowage/memory';
import { type ObserveEvent, observe, retry, timeout } from 'stowage/middleware';

const tracer = trace.getTracer('stowage');
const durations = metrics.getMeter('stowage').createHistogram('storage.operation.duration', {
  description: 'Duration of storage operations',
  unit: 'ms',
});

function recordSpan(e: ObserveEvent): void {
  const end = Date.now();
  const attributes = {
    'storage.operation': e.op,
    'storage.backend': e.backend,
    ...(e.key === undefined ? {} : { 'storage.key': e.key }),
    ...(e.to === undefined ? {} : { 'storage.destination_key': e.to }),
    ...(e.bytes === undefined ? {} : { 'storage.bytes': e.bytes }),
    ...(e.count === undefined ? {} : { 'storage.count': e.count }),
    ...(e.code === undefined ? {} : { 'error.type': e.code }),
  };
  const span = tracer.startSpan(`storage ${e.op}`, {
    kind: SpanKind.CLIENT,
    startTime: end - e.ms,
    attributes,
  });
  span.setStatus(e.ok ? { code: SpanStatusCode.OK } : { code: SpanStatusCode.ERROR, message: e.code });
  span.end(end);
  durations.record(e.ms, { 'storage.operation': e.op, 'storage.backend': e.backend, ok: e.ok });
}

// Innermost observe: one span per attempt the service saw, so retries show up as extra spans.
const storage = layer(memory(), retry(), timeout({ ms: '30s' }), observe({ onEvent: recordSpan }));

await storage.write('images/cat.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47]), { contentType: 'image/png' });
await storage.stat('images/cat.png');
await storage.read('images/cat.png');
await storage.exists('images/dog.png');
console.log('done: spans were recorded (a no-op until an OpenTelemetry SDK is registered)');

// Sends known spans and metrics to budgetd with the real OpenTelemetry JS SDK, once through the
// protobuf exporters and once through the JSON ones, and prints what it sent as JSON, so that
// tests/inputs/otel_sdk_test.cpp can compare budgetd's windows with it.
//
//   node send.js http://127.0.0.1:PORT/otlp SPANS
'use strict';

const { SpanKind, SpanStatusCode } = require('@opentelemetry/api');
const { Resource } = require('@opentelemetry/resources');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter: ProtoTraces } = require('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: JsonTraces } = require('@opentelemetry/exporter-trace-otlp-http');
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { OTLPMetricExporter: ProtoMetrics } = require('@opentelemetry/exporter-metrics-otlp-proto');
const {
  OTLPMetricExporter: JsonMetrics,
  AggregationTemporalityPreference,
} = require('@opentelemetry/exporter-metrics-otlp-http');

const [base, spanCount] = [process.argv[2], Number(process.argv[3] || 200)];
const thresholdMs = 250;

async function sendSpans(service, exporter) {
  const provider = new BasicTracerProvider({ resource: new Resource({ 'service.name': service }) });
  provider.addSpanProcessor(new BatchSpanProcessor(exporter, { maxExportBatchSize: 64 }));
  const tracer = provider.getTracer('budgetd-test');
  const now = Date.now();
  const sent = { total: 0, good: 0, fast_and_good: 0 };
  for (let i = 0; i < spanCount; i++) {
    const counted = i % 5 !== 0;  // every fifth span is a CLIENT span: not an event
    const duration = (i * 37) % 500;
    const end = now - 60000 + i * 100;
    const span = tracer.startSpan('GET /cart', {
      kind: counted ? SpanKind.SERVER : SpanKind.CLIENT,
      startTime: end - duration,
      attributes: { 'http.route': '/cart', 'http.response.status_code': i % 11 === 0 ? 503 : 200 },
    });
    const failed = i % 7 === 0 || i % 11 === 0;
    if (i % 7 === 0) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(end);
    if (!counted) continue;
    sent.total++;
    if (!failed) sent.good++;
    if (!failed && duration <= thresholdMs) sent.fast_and_good++;
  }
  await provider.shutdown();  // flushes every batch
  return sent;
}

async function sendMetrics(name, exporter, delta) {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3600000 });
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('budgetd-test');
  const attrs = { exporter: name };
  const requests = meter.createCounter('requests');
  const ok = meter.createCounter('requests.ok');
  const duration = meter.createHistogram('request.duration', {
    unit: 'ms',
    advice: { explicitBucketBoundaries: [100, 250, 1000] },
  });
  // The first export of a cumulative series is its baseline in budgetd: send one first.
  requests.add(1, attrs);
  ok.add(1, attrs);
  duration.record(10, attrs);
  await provider.forceFlush();
  const sent = { total: delta ? 1 : 0, good: delta ? 1 : 0, latency_total: delta ? 1 : 0, latency_good: delta ? 1 : 0 };
  for (let i = 0; i < 50; i++) {
    const n = 1 + (i % 4);
    requests.add(n, attrs);
    const good = i % 6 === 0 ? n - 1 : n;
    ok.add(good, attrs);
    const ms = (i * 53) % 700;
    duration.record(ms, attrs);
    sent.total += n;
    sent.good += good;
    sent.latency_total++;
    if (ms <= thresholdMs) sent.latency_good++;
  }
  await provider.forceFlush();
  await provider.shutdown();
  return sent;
}

(async () => {
  const out = {
    spans_proto: await sendSpans('js-proto', new ProtoTraces({ url: base + '/v1/traces' })),
    spans_json: await sendSpans('js-json', new JsonTraces({ url: base + '/v1/traces' })),
    metrics_proto: await sendMetrics('proto', new ProtoMetrics({ url: base + '/v1/metrics' }), false),
    metrics_json: await sendMetrics(
      'json',
      new JsonMetrics({ url: base + '/v1/metrics', temporalityPreference: AggregationTemporalityPreference.DELTA }),
      true),
  };
  process.stdout.write(JSON.stringify(out) + '\n');
})().catch((e) => {
  process.stderr.write(String(e && e.stack || e) + '\n');
  process.exit(1);
});

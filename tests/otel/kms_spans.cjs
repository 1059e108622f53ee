// A real OpenTelemetry pipeline for recoup's OTLP receiver tests: the AWS SDK
// for JavaScript v3 (KMS client) instrumented by
// @opentelemetry/instrumentation-aws-sdk, exporting every span with the OTLP
// HTTP exporter (JSON or protobuf) to recoup.
//
//   node kms_spans.cjs <otlp-traces-url> <json|proto> [account-id]
//
// AWS endpoint and keys come from the environment (AWS_ENDPOINT_URL,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION). Prints one JSON
// object: the calls made (operation, outcome, request ID) and the export
// results (0 = success), so the test can compare with what recoup stored.
'use strict';

const { NodeTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-node');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { AwsInstrumentation } = require('@opentelemetry/instrumentation-aws-sdk');

const [url, encoding, account] = process.argv.slice(2);
if (!url || !['json', 'proto'].includes(encoding)) {
  console.error('usage: node kms_spans.cjs <otlp-traces-url> <json|proto> [account-id]');
  process.exit(2);
}
const { OTLPTraceExporter } = require(encoding === 'proto'
  ? '@opentelemetry/exporter-trace-otlp-proto'
  : '@opentelemetry/exporter-trace-otlp-http');

const headers = {};
if (process.env.RECOUP_TOKEN) headers.Authorization = 'Bearer ' + process.env.RECOUP_TOKEN;
const inner = new OTLPTraceExporter({ url, headers });
const exportResults = [];
const exportErrors = [];
// Records each export's result so the test can check every span was accepted.
const exporter = {
  export(spans, done) {
    inner.export(spans, (result) => {
      exportResults.push(result.code);
      if (result.error) exportErrors.push(String(result.error.message || result.error));
      done(result);
    });
  },
  forceFlush: () => inner.forceFlush(),
  shutdown: () => inner.shutdown(),
};

const resource = { 'service.name': 'recoup-otel-test' };
if (account) resource['cloud.account.id'] = account;
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes(resource),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
provider.register();  // global tracer provider and context manager
const instrumentation = new AwsInstrumentation();
instrumentation.setTracerProvider(provider);
instrumentation.enable();

// Loaded only now, so the instrumentation's require hook patches it.
const kms = require('@aws-sdk/client-kms');

async function main() {
  const client = new kms.KMSClient({
    region: process.env.AWS_REGION || 'us-east-1',
    endpoint: process.env.AWS_ENDPOINT_URL,
    maxAttempts: 1,
  });
  const calls = [];
  async function call(operation, command) {
    try {
      const out = await client.send(command);
      calls.push({ operation, outcome: 'success', request_id: out.$metadata.requestId || '',
        http_status: out.$metadata.httpStatusCode || 0 });
      return out;
    } catch (err) {
      calls.push({ operation, outcome: 'error', error: err.name,
        request_id: (err.$metadata && err.$metadata.requestId) || '',
        http_status: (err.$metadata && err.$metadata.httpStatusCode) || 0 });
      return null;
    }
  }
  const key = await call('CreateKey', new kms.CreateKeyCommand({ Description: 'recoup otel test' }));
  const keyId = key.KeyMetadata.KeyId;
  for (let i = 0; i < 3; i++) {
    const enc = await call('Encrypt', new kms.EncryptCommand({
      KeyId: keyId, Plaintext: Buffer.from('secret ' + i) }));
    await call('Decrypt', new kms.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
  }
  await call('GenerateDataKey', new kms.GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }));
  // A client error: excluded by the SLA, but it must still arrive.
  await call('DescribeKey', new kms.DescribeKeyCommand({
    KeyId: '00000000-0000-0000-0000-000000000000' }));
  await provider.forceFlush();
  await provider.shutdown();
  process.stdout.write(JSON.stringify({ calls, exportResults, exportErrors }) + '\n');
}

main().catch((err) => {
  console.error(err && err.stack || String(err));
  process.exit(1);
});

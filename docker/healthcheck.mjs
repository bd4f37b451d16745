// Docker HEALTHCHECK (Kubernetes uses its own probes): GET /healthz/live on the service's port.
const defaults = {
  ingest: 8081,
  feature: 8082,
  training: 8083,
  'model-registry': 8084,
  scoring: 8085,
  'sentiment-monitor': 8086,
};
const port = process.env.HTTP_PORT ?? defaults[process.env.SERVICE ?? ''];
if (!port) {
  console.error('healthcheck: set HTTP_PORT or SERVICE');
  process.exit(1);
}
try {
  const res = await fetch(`http://127.0.0.1:${port}/healthz/live`, { signal: AbortSignal.timeout(4000) });
  process.exit(res.ok ? 0 : 1);
} catch (err) {
  console.error(`healthcheck: ${err.message}`);
  process.exit(1);
}

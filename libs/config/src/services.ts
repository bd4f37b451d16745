// The platform's six services and their local HTTP ports: what every service, the CLI and the dev
// stack agree on. Kept here, beside the configuration they default, and free of heavy imports, so
// the `mercato` command can name the services without loading the service runtime.
export const SERVICE_NAMES = [
  'ingest',
  'feature',
  'training',
  'model-registry',
  'scoring',
  'sentiment-monitor',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export const DEFAULT_PORTS: Record<ServiceName, number> = {
  ingest: 8081,
  feature: 8082,
  training: 8083,
  'model-registry': 8084,
  scoring: 8085,
  'sentiment-monitor': 8086,
};

export {
  bootstrapService,
  schemaFor,
  SERVICE_NAMES,
  DEFAULT_PORTS,
  SERVICE_CONFIG,
  SERVICE_LOGGER,
  type ServiceName,
  type ServiceDefinition,
  type PlatformConfig,
} from './bootstrap';
export { buildOpenApiDocument } from './openapi';
export { Poller, type PollerOptions } from './poller';
export { AuthModule, type AuthModuleOptions } from './auth.module';
export { openApiController, type OpenApiInfo } from './openapi.controller';

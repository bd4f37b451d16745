export {
  bootstrapService,
  schemaFor,
  SERVICE_CONFIG,
  SERVICE_LOGGER,
  type ServiceDefinition,
  type PlatformConfig,
} from './bootstrap';
export {
  buildOpenApiDocument,
  openApiSchema,
  ErrorView,
  JsonBody,
  JsonResponse,
  QueryParams,
  ErrorResponses,
} from './openapi';
export { Poller, PolledWork, type PollerOptions, type PolledWorkOptions } from './poller';
export { renderHtmlPage, sendHtmlPage, type HtmlPage } from './html-page';
export { AuthModule, type AuthModuleOptions } from './auth.module';
export { openApiController, type OpenApiInfo } from './openapi.controller';
export {
  DomainError,
  invalidInput,
  invalidField,
  notFound,
  conflict,
  unavailable,
  failed,
  type DomainErrorKind,
  type ErrorBody,
  type FieldIssue,
} from './http/domain-error';
export { parseInput, ZodValidationPipe, ValidBody, ValidQuery, ValidParam } from './http/validation';
export {
  HttpErrorFilter,
  errorAnswerOf,
  type ErrorAnswer,
  type HttpErrorOptions,
} from './http/http-error.filter';

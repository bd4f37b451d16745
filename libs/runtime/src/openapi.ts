// OpenAPI in one place: the decorators that document routes from the zod schemas that validate
// them (so the published document cannot drift from what the code accepts and returns), the common
// error body, and the builder of a service's document. The document is built with @nestjs/swagger
// from inside the running app: SwaggerModule.setup cannot be used, since it needs the app before
// listen and bootstrapService listens itself; the scanner only needs the module container and
// config an INestApplication holds, which a ModuleRef reaches.
import { applyDecorators, type INestApplication } from '@nestjs/common';
import type { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import {
  ApiBody,
  ApiQuery,
  ApiResponse,
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { z } from '@mercato/config';

/** The body of every error answer (see http/domain-error.ts). */
export const ErrorView = z
  .object({
    statusCode: z.number().int(),
    error: z.string().describe('machine-readable code, e.g. invalid_request, not_found'),
    message: z.string(),
    errors: z
      .array(z.object({ field: z.string(), reason: z.string() }))
      .describe('every problem, by field ((body), (query) or (request) for the whole of it)'),
  })
  .catchall(z.unknown());

/** OpenAPI 3.0 schema of a zod schema; `input` for what clients send, `output` for what they get. */
export const openApiSchema = (schema: z.ZodType, io: 'input' | 'output' = 'output'): SchemaObject =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;

export const JsonBody = (schema: z.ZodType, description?: string): MethodDecorator =>
  ApiBody({ schema: openApiSchema(schema, 'input'), description });

export const JsonResponse = (status: number, description: string, schema?: z.ZodType): MethodDecorator =>
  ApiResponse({ status, description, ...(schema ? { schema: openApiSchema(schema) } : {}) });

/** One ApiQuery per property of a zod object schema (what a query string accepts). */
export const QueryParams = (schema: z.ZodType): MethodDecorator => {
  const json = openApiSchema(schema, 'input') as SchemaObject & {
    properties?: Record<string, SchemaObject>;
    required?: string[];
  };
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, property]) =>
      ApiQuery({
        name,
        required: json.required?.includes(name) ?? false,
        schema: property,
        description: property.description,
      }),
    ),
  );
};

/** The error answers a route can give, each with the common error body. */
export const ErrorResponses = (...responses: (readonly [number, string])[]): MethodDecorator =>
  applyDecorators(
    ...responses.map(([status, description]) =>
      ApiResponse({ status, description, schema: openApiSchema(ErrorView) }),
    ),
  );

export function buildOpenApiDocument(
  moduleRef: ModuleRef,
  adapterHost: HttpAdapterHost,
  info: { title: string; description: string },
): OpenAPIObject {
  const container = (moduleRef as unknown as { container: { applicationConfig: unknown } }).container;
  const app = {
    container,
    config: container.applicationConfig,
    getHttpAdapter: () => adapterHost.httpAdapter,
  } as unknown as INestApplication;
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion('1')
    .build();
  return SwaggerModule.createDocument(app, config);
}

// OpenAPI decorators built from the zod schemas that validate requests and type responses, so the
// published document cannot drift from what the code accepts and returns.
import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse, type SchemaObject } from '@nestjs/swagger';
import { z } from '@mercato/config';
import { ErrorView } from './api.views';

/** OpenAPI 3.0 schema of a zod schema; `input` for what clients send, `output` for what they get. */
export const openApiSchema = (schema: z.ZodType, io: 'input' | 'output' = 'output'): SchemaObject =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;

export const JsonBody = (schema: z.ZodType): MethodDecorator =>
  ApiBody({ schema: openApiSchema(schema, 'input') });

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

/** The error responses a route can give, each with the common error body. */
export const ErrorResponses = (...responses: [number, string][]): MethodDecorator =>
  applyDecorators(
    ...responses.map(([status, description]) =>
      ApiResponse({ status, description, schema: openApiSchema(ErrorView) }),
    ),
  );

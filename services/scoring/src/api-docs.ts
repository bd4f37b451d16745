// OpenAPI decorators built from the zod schemas that validate requests and type responses, so the
// published document cannot drift from what the code accepts and returns.
import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiResponse, type SchemaObject } from '@nestjs/swagger';
import { z } from '@mercato/config';

/** The body of every error response: what went wrong and, for a 400, each field with its reason. */
export const ErrorView = z.object({
  statusCode: z.number().int(),
  message: z.string(),
  errors: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});

/** OpenAPI 3.0 schema of a zod schema; `input` for what clients send, `output` for what they get. */
export const openApiSchema = (schema: z.ZodType, io: 'input' | 'output' = 'output'): SchemaObject =>
  z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as SchemaObject;

export const JsonBody = (schema: z.ZodType, description?: string): MethodDecorator =>
  ApiBody({ schema: openApiSchema(schema, 'input'), description });

export const JsonResponse = (status: number, description: string, schema?: z.ZodType): MethodDecorator =>
  ApiResponse({ status, description, ...(schema ? { schema: openApiSchema(schema) } : {}) });

export const ErrorResponses = (...responses: [number, string][]): MethodDecorator =>
  applyDecorators(
    ...responses.map(([status, description]) =>
      ApiResponse({ status, description, schema: openApiSchema(ErrorView) }),
    ),
  );

// Builds a service's OpenAPI document with @nestjs/swagger from inside the running app.
// SwaggerModule.setup cannot be used: it needs the app before listen, and bootstrapService listens
// itself; the scanner only needs the module container and config an INestApplication holds, which a
// ModuleRef reaches.
import type { INestApplication } from '@nestjs/common';
import type { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

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

// The controller every service mounts for its OpenAPI document at /v1/openapi.json: built once, on
// first request, by @nestjs/swagger from the controllers' decorators (see buildOpenApiDocument for
// why not SwaggerModule.setup), optionally extended (e.g. with schemas no route returns).
import { Public } from '@mercato/auth';
import { Controller, Get, type Type } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ApiExcludeController, type OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from './openapi';

export interface OpenApiInfo {
  title: string;
  description: string;
  /** Adds to the generated document before it is served. */
  extend?: (document: OpenAPIObject) => OpenAPIObject;
}

export function openApiController(info: OpenApiInfo): Type {
  @ApiExcludeController()
  @Public()
  @Controller()
  class OpenApiController {
    private document: OpenAPIObject | undefined;

    constructor(
      private readonly moduleRef: ModuleRef,
      private readonly adapterHost: HttpAdapterHost,
    ) {}

    @Get('v1/openapi.json')
    openApi(): OpenAPIObject {
      if (this.document) return this.document;
      const document = buildOpenApiDocument(this.moduleRef, this.adapterHost, info);
      this.document = info.extend ? info.extend(document) : document;
      return this.document;
    }
  }
  return OpenApiController;
}

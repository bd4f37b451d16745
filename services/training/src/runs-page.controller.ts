// The runs page at /: the tenant's experiment runs in the browser (runs.html, vanilla JS and inline
// SVG, served like the monitor's dashboard), filtered by model, tag and status, curves of two or
// more runs overlaid, the parameters that differ and the final evaluation side by side; a registry
// version links to its run as /?model=<name>&version=<n>. The training service serves it because it
// owns the runs: the page calls this service's own /v1/runs API, so the page's policy allows
// nothing but this origin. The page asks for an API key (training:read) once per browser tab.
import { Public } from '@mercato/auth';
import { renderHtmlPage, sendHtmlPage, type HtmlPage } from '@mercato/runtime';
import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const REFRESH_MS = 5_000;

@ApiExcludeController()
@Public()
@Controller()
export class RunsPageController {
  private readonly page: HtmlPage = renderHtmlPage(
    readFileSync(join(__dirname, 'runs.html'), 'utf8'),
    '__RUNS_CONFIG__',
    { refreshMs: REFRESH_MS },
  );

  @Get()
  runsPage(@Res({ passthrough: true }) reply: FastifyReply): string {
    return sendHtmlPage(reply, this.page);
  }
}

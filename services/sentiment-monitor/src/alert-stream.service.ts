// The live alert stream (server-sent events) behind GET /v1/alerts/stream. One poller per process
// reads the alerts table by `seq` (woken at once by local alerts, on a timer for other replicas'),
// and fans each alert out to the matching open streams; the SSE event id is the alert's seq, so a
// client reconnecting with Last-Event-ID is replayed exactly what it missed. Heartbeat comments keep
// idle connections (and proxies) open. All cursor work runs one step at a time, so a replay and a
// live poll never interleave and no alert is sent twice or skipped. The poll runs in the background
// (an idle one records nothing); a fan-out of new alerts is a trace of its own.
import type { ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import { traceWork, type Logger } from '@mercato/telemetry';
import { AlertSignals } from './alert-signals';
import { AlertRepository, type AlertRecord } from './alert.repository';
import { toAlertView } from './api.views';
import type { MonitorConfig } from './monitor.config';
import { monitorMetrics } from './monitor-metrics';

const PAGE = 500;
/** Most alerts one reconnect replays; a client further behind reads GET /v1/alerts instead. */
const MAX_REPLAY = 5_000;

interface StreamClient {
  out: ServerResponse;
  tenantId: string;
  ticker: string | undefined;
  sentSeq: number;
}

export interface StreamOptions {
  tenantId: string;
  ticker?: string;
  /** The last seq the client has (Last-Event-ID); absent: only alerts raised from now on. */
  lastEventId?: number;
}

@Injectable()
export class AlertStreamService extends PolledWork {
  private readonly clients = new Set<StreamClient>();
  /** The highest seq fanned out; undefined while no client is connected. */
  private cursor: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly alerts: AlertRepository,
    signals: AlertSignals,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    super({
      what: 'alert stream poll',
      intervalMs: config.SSE_POLL_MS,
      logger,
      wakeOn: (wake) => signals.onRaised(wake),
    });
  }

  protected step(): Promise<boolean> {
    return this.serially(() => this.fanOut());
  }

  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    this.heartbeat = setInterval(() => {
      for (const c of this.clients) c.out.write(`: heartbeat ${new Date().toISOString()}\n\n`);
    }, this.config.SSE_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Ends every stream so the HTTP server can close; EventSource clients reconnect elsewhere. */
  override async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    await super.beforeApplicationShutdown();
    for (const c of this.clients) c.out.end();
    this.clients.clear();
    monitorMetrics.sseClients.set(0);
  }

  /**
   * Takes over an HTTP response whose SSE headers are written and replays what the client missed;
   * rejects (the caller closes the stream) when the replay cannot be read.
   */
  async open(out: ServerResponse, options: StreamOptions): Promise<void> {
    out.write(`retry: 2000\n: connected\n\n`);
    await this.serially(async () => {
      this.cursor ??= await this.alerts.lastSeq();
      const client: StreamClient = {
        out,
        tenantId: options.tenantId,
        ticker: options.ticker,
        sentSeq: Math.min(options.lastEventId ?? this.cursor, this.cursor),
      };
      let replayed = 0;
      while (client.sentSeq < this.cursor && replayed < MAX_REPLAY) {
        const page = await this.alerts.after(client.sentSeq, PAGE);
        for (const a of page) {
          if (a.seq > this.cursor) break;
          if (this.send(client, a)) replayed++;
        }
        client.sentSeq = Math.min(this.cursor, page.at(-1)?.seq ?? this.cursor);
        if (page.length < PAGE) client.sentSeq = this.cursor;
      }
      client.sentSeq = this.cursor;
      if (out.destroyed) return;
      this.clients.add(client);
      monitorMetrics.sseClients.set(this.clients.size);
      out.on('close', () => {
        this.clients.delete(client);
        monitorMetrics.sseClients.set(this.clients.size);
        // Forget the cursor once nobody listens, so the next client starts from "now", not from
        // where the last one left. Queued behind any poll in flight, which would move it again.
        void this.serially(async () => {
          if (this.clients.size === 0) this.cursor = undefined;
        });
      });
    });
  }

  private async fanOut(): Promise<boolean> {
    if (this.clients.size === 0 || this.cursor === undefined) return false;
    const page = await this.alerts.after(this.cursor, PAGE);
    if (page.length === 0) return false;
    await traceWork(
      'alert stream fan-out',
      async () => {
        for (const a of page) {
          for (const c of this.clients) {
            if (a.seq > c.sentSeq) {
              this.send(c, a);
              c.sentSeq = a.seq;
            }
          }
          this.cursor = a.seq;
        }
      },
      { attributes: { 'mercato.alerts': page.length }, links: page.map((a) => a.completedBy?.traceparent) },
    );
    return page.length === PAGE;
  }

  /** Writes the alert when it matches the client's filters; true when written. */
  private send(c: StreamClient, a: AlertRecord): boolean {
    if (a.tenantId !== c.tenantId || (c.ticker !== undefined && a.ticker !== c.ticker)) return false;
    c.out.write(`id: ${a.seq}\nevent: alert\ndata: ${JSON.stringify(toAlertView(a))}\n\n`);
    return true;
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

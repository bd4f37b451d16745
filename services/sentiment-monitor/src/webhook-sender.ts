// One webhook POST under the egress policy: the URL's host is resolved and every address checked
// (webhook-egress.ts) just before the request, and the connection is pinned to those checked
// addresses through the request's `lookup`, so nothing can resolve the name differently between the
// check and the connect (DNS rebinding). TLS still verifies the certificate against the host name.
// Redirects are never followed: a 3xx is a failed attempt, so a receiver cannot bounce the monitor
// to an address the policy refuses.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { EgressPolicy, ResolvedAddress } from './webhook-egress';

export interface SentWebhook {
  status: number;
  /** The redirect target of a 3xx, which was not followed. */
  location?: string;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` that answers only with the addresses the policy admitted. */
function pinnedLookup(addresses: readonly ResolvedAddress[]) {
  return (_hostname: string, options: LookupOptions, callback: LookupCallback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
    const candidates = addresses.filter((a) => wanted === undefined || a.family === wanted);
    const first = candidates[0];
    if (!first) {
      const err: NodeJS.ErrnoException = new Error(`no admitted IPv${wanted} address`);
      err.code = 'ENOTFOUND';
      callback(err, []);
    } else if (options.all)
      callback(
        null,
        candidates.map((a) => ({ address: a.address, family: a.family })),
      );
    else callback(null, first.address, first.family);
  };
}

export class WebhookSender {
  constructor(
    private readonly policy: EgressPolicy,
    private readonly timeoutMs: number,
  ) {}

  /** POSTs the body; throws EgressRefusedError (naming its rule) before any connection when refused. */
  async post(url: string, body: string, headers: Record<string, string>): Promise<SentWebhook> {
    const target = new URL(url);
    const addresses = await this.policy.admittedAddresses(target);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<SentWebhook>((resolve, reject) => {
      const req = send(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          lookup: pinnedLookup(addresses),
          signal: AbortSignal.timeout(this.timeoutMs),
        },
        (res: IncomingMessage) => {
          // The receiver's answer body is not needed: drain it so the socket is released.
          res.resume();
          res.once('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              location: typeof res.headers.location === 'string' ? res.headers.location : undefined,
            }),
          );
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end(body);
    });
  }
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressPolicy, EgressRefusedError, type Resolver } from './webhook-egress';
import { WebhookSender } from './webhook-sender';

// A customer's endpoint is the boundary we do not own: a loopback server stands in for it, admitted
// through the allow-list as an operator would admit an internal receiver. The DNS is the other such
// boundary: a resolver whose answers the test changes stands in for a name that rebinds.
let receiver: Server;
let port = 0;
const received: { path: string; body: string }[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      if (req.url === '/redirect') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

describe('webhook sender', () => {
  it('connects to the address it checked, not to what the name resolves to later (DNS rebinding)', async () => {
    const answers: string[][] = [['127.0.0.1']];
    const resolver: Resolver = async () =>
      (answers.shift() ?? ['127.0.0.1']).map((address) => ({ address, family: 4 }));
    const admitted = new EgressPolicy(
      { httpsOnly: false, allowedHosts: [], allowedCidrs: ['127.0.0.1/32'], clusterCidrs: [] },
      resolver,
    );
    // hooks.invalid resolves only through the policy's resolver: the request reached the receiver,
    // so the connection used the checked address.
    const sent = await new WebhookSender(admitted, 2_000).post(`http://hooks.invalid:${port}/ok`, '{"a":1}', {
      'content-type': 'application/json',
    });
    expect(sent.status).toBe(204);
    expect(received.at(-1)).toEqual({ path: '/ok', body: '{"a":1}' });
  });

  it('refuses a name that rebinds to an internal address at delivery, before connecting', async () => {
    // Public at registration, loopback at delivery: the second resolution is checked and refused.
    const answers = [['93.184.216.34'], ['127.0.0.1']];
    const resolver: Resolver = async () => (answers.shift() ?? []).map((address) => ({ address, family: 4 }));
    const policy = new EgressPolicy(
      { httpsOnly: false, allowedHosts: [], allowedCidrs: [], clusterCidrs: [] },
      resolver,
    );
    const url = `http://rebind.invalid:${port}/rebound`;
    await expect(policy.admittedAddresses(new URL(url))).resolves.toHaveLength(1);
    const before = received.length;
    const err = await new WebhookSender(policy, 2_000).post(url, '{}', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EgressRefusedError);
    expect((err as EgressRefusedError).rule).toBe('loopback');
    expect((err as Error).message).toMatch(/rebind\.invalid resolves to 127\.0\.0\.1, a loopback address/);
    expect(received.length).toBe(before);
  });

  it('does not follow a redirect: the 3xx is the answer, and its target gets nothing', async () => {
    const policy = new EgressPolicy({
      httpsOnly: false,
      allowedHosts: [],
      allowedCidrs: ['127.0.0.1/32'],
      clusterCidrs: [],
    });
    const sent = await new WebhookSender(policy, 2_000).post(`http://127.0.0.1:${port}/redirect`, '{}', {});
    expect(sent).toEqual({ status: 302, location: 'http://169.254.169.254/latest/meta-data/' });
    expect(received.at(-1)?.path).toBe('/redirect');
  });
});

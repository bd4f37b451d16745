import { describe, expect, it } from 'vitest';
import { EgressPolicy, EgressRefusedError, parseCidrs, type Resolver } from './webhook-egress';

// DNS is the boundary we do not own: a table stands in for it, and nothing here sends traffic.
const table =
  (answers: Record<string, string[]>): Resolver =>
  async (host) => {
    const addresses = answers[host];
    if (!addresses) throw Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const policy = (
  options: Partial<ConstructorParameters<typeof EgressPolicy>[0]> = {},
  dns: Resolver = table({}),
) =>
  new EgressPolicy(
    { httpsOnly: false, allowedHosts: [], allowedCidrs: [], clusterCidrs: [], ...options },
    dns,
  );

async function refusal(p: EgressPolicy, url: string): Promise<EgressRefusedError> {
  const err = await p.admittedAddresses(new URL(url)).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof EgressRefusedError)) throw new Error(`${url} was not refused`);
  return err;
}

describe('webhook egress policy', () => {
  it.each([
    ['http://127.0.0.1:8084/v1/models', 'loopback'],
    ['http://[::1]:8084/', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://10.0.0.7/', 'private'],
    ['http://172.16.4.4/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.100.100.200/', 'private'],
    ['http://[fd00:ec2::254]/', 'private'],
    ['http://224.0.0.1/', 'multicast'],
    ['http://[ff02::1]/', 'multicast'],
    ['http://0.0.0.0:8086/', 'unspecified'],
    ['http://255.255.255.255/', 'special-purpose'],
    ['http://240.1.2.3/', 'special-purpose'],
  ])('refuses %s by its address (rule %s), without resolving anything', async (url, rule) => {
    const err = await refusal(policy(), url);
    expect(err.rule).toBe(rule);
    expect(err.message).toContain(`rule "${rule}"`);
  });

  it('refuses a name that resolves to an internal address, naming the name, the address and the rule', async () => {
    const p = policy(
      {},
      table({ 'internal.example': ['93.184.216.34', '10.1.2.3'], localhost: ['127.0.0.1'] }),
    );
    const mixed = await refusal(p, 'https://internal.example/hook');
    expect(mixed.rule).toBe('private');
    expect(mixed.message).toMatch(/internal\.example resolves to 10\.1\.2\.3, a private address/);
    expect((await refusal(p, 'http://localhost:8084/')).rule).toBe('loopback');
  });

  it('admits public unicast addresses and returns what it checked', async () => {
    const p = policy({}, table({ 'hooks.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'] }));
    expect(await p.admittedAddresses(new URL('https://hooks.example/x'))).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
    expect(await p.admittedAddresses(new URL('http://93.184.216.34/x'))).toEqual([
      { address: '93.184.216.34', family: 4 },
    ]);
  });

  it("refuses the cluster's own CIDRs even when they are public addresses", async () => {
    const p = policy({ clusterCidrs: ['34.118.224.0/20'] }, table({ 'svc.example': ['34.118.230.9'] }));
    const err = await refusal(p, 'https://svc.example/');
    expect(err.rule).toBe('cluster');
    expect(err.message).toContain('WEBHOOK_CLUSTER_CIDRS');
  });

  it('admits what the operator allow-lists: hosts (exact or *.domain) and CIDRs', async () => {
    const dns = table({
      'alerts.corp.example': ['10.9.9.9'],
      'corp.example': ['10.9.9.8'],
      'x.other': ['10.1.1.1'],
    });
    const byHost = policy({ allowedHosts: ['*.corp.example'] }, dns);
    expect(await byHost.admittedAddresses(new URL('http://alerts.corp.example/'))).toHaveLength(1);
    expect((await refusal(byHost, 'http://corp.example/')).rule).toBe('private');
    const byCidr = policy({ allowedCidrs: ['127.0.0.1', '10.1.0.0/16'] }, dns);
    expect(await byCidr.admittedAddresses(new URL('http://127.0.0.1:9/'))).toHaveLength(1);
    expect(await byCidr.admittedAddresses(new URL('http://x.other/'))).toHaveLength(1);
    expect((await refusal(byCidr, 'http://127.0.0.2/')).rule).toBe('loopback');
  });

  it('requires https when told to, and refuses names that do not resolve', async () => {
    const strict = policy({ httpsOnly: true }, table({ 'hooks.example': ['93.184.216.34'] }));
    const err = await refusal(strict, 'http://hooks.example/');
    expect(err.rule).toBe('https-required');
    expect(err.message).toContain('WEBHOOK_HTTPS_ONLY');
    expect(await strict.admittedAddresses(new URL('https://hooks.example/'))).toHaveLength(1);
    const gone = await refusal(strict, 'https://gone.example/');
    expect(gone.rule).toBe('unresolvable');
    expect(gone.message).toContain('ENOTFOUND');
  });

  it('checks the configured lists, naming a bad entry', () => {
    expect(() => parseCidrs(['10.0.0.0/8', 'fd00::/8', '192.168.1.1'])).not.toThrow();
    expect(() => parseCidrs(['10.0.0.0/33'])).toThrow(/"10\.0\.0\.0\/33" is not an IP address or CIDR/);
    expect(() => policy({ allowedHosts: ['hooks example'] })).toThrow(/"hooks example" is not a host name/);
  });
});

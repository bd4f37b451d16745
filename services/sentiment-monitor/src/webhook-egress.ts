// Where the monitor may send webhooks. A tenant admin chooses the URL, so without a policy the monitor
// could be made to POST into the cluster (SSRF): to the cloud metadata endpoint, to another service's
// port on localhost, to a pod or service address. Every address a URL's host resolves to must be a
// public unicast address: loopback, link-local, private (RFC 1918, unique local, shared/CGNAT),
// multicast, unspecified, other special-purpose ranges and the cluster's own CIDRs are refused —
// unless the operator's allow-list admits the host (WEBHOOK_ALLOWED_HOSTS) or the address
// (WEBHOOK_ALLOWED_CIDRS). https is required unless WEBHOOK_HTTPS_ONLY is false (the default outside
// production). The check runs at registration and again at every delivery, against a fresh
// resolution whose addresses the connection is then pinned to (webhook-sender.ts), so a name that
// rebinds to an internal address after registration is refused too. Every refusal names its rule.
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

export type EgressRule =
  | 'scheme'
  | 'https-required'
  | 'unresolvable'
  | 'loopback'
  | 'link-local'
  | 'private'
  | 'multicast'
  | 'unspecified'
  | 'special-purpose'
  | 'cluster';

export class EgressRefusedError extends Error {
  constructor(
    readonly rule: EgressRule,
    message: string,
  ) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (the DNS: a boundary we do not own). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await lookup(hostname, { all: true, order: 'verbatim' })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export interface EgressPolicyOptions {
  httpsOnly: boolean;
  /** Host names admitted whatever they resolve to: `hooks.example.com`, or `*.example.com` for its subdomains. */
  allowedHosts: readonly string[];
  /** Addresses admitted although a rule would refuse them. */
  allowedCidrs: readonly string[];
  /** The cluster's pod and service ranges: refused even when they are public addresses. */
  clusterCidrs: readonly string[];
}

/** The rule that refuses an address by its range, from ipaddr.js's classification. */
const RANGE_RULES: Record<string, EgressRule> = {
  loopback: 'loopback',
  linkLocal: 'link-local',
  private: 'private',
  uniqueLocal: 'private',
  carrierGradeNat: 'private',
  multicast: 'multicast',
  unspecified: 'unspecified',
};

const RULE_WORDS: Record<EgressRule, string> = {
  scheme: 'not an http(s) URL',
  'https-required': 'https is required',
  unresolvable: 'does not resolve',
  loopback: 'a loopback address',
  'link-local': 'a link-local address (cloud metadata endpoints live here)',
  private: 'a private address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  'special-purpose': 'a special-purpose (reserved) address',
  cluster: "inside the cluster's own CIDRs (WEBHOOK_CLUSTER_CIDRS)",
};

/** A CIDR list from configuration: each entry an address or address/prefix; throws naming a bad one. */
export function parseCidrs(entries: readonly string[]): Cidr[] {
  return entries.map((entry) => {
    try {
      if (entry.includes('/')) return ipaddr.parseCIDR(entry);
      const ip = ipaddr.parse(entry);
      return [ip, ip.kind() === 'ipv4' ? 32 : 128];
    } catch {
      throw new Error(`"${entry}" is not an IP address or CIDR (e.g. 10.20.0.0/16, fd00::/8)`);
    }
  });
}

/** A host allow-list entry: a host name, or `*.` and a domain for its subdomains. */
export function checkHostPattern(pattern: string): string {
  const host = pattern.toLowerCase();
  if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host))
    throw new Error(`"${pattern}" is not a host name or *.domain`);
  return host;
}

const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();

export class EgressPolicy {
  private readonly allowedCidrs: Cidr[];
  private readonly clusterCidrs: Cidr[];
  private readonly allowedHosts: string[];

  constructor(
    private readonly options: EgressPolicyOptions,
    private readonly resolve: Resolver = systemResolver,
  ) {
    this.allowedCidrs = parseCidrs(options.allowedCidrs);
    this.clusterCidrs = parseCidrs(options.clusterCidrs);
    this.allowedHosts = options.allowedHosts.map(checkHostPattern);
  }

  /** The rule that refuses the URL's scheme, or undefined. Pure: no resolution. */
  schemeRefusal(url: URL): EgressRefusedError | undefined {
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return new EgressRefusedError('scheme', `${url.protocol} URLs are not delivered to (rule "scheme")`);
    if (this.options.httpsOnly && url.protocol !== 'https:')
      return new EgressRefusedError(
        'https-required',
        `https is required for webhooks (rule "https-required"; WEBHOOK_HTTPS_ONLY=false allows http outside production)`,
      );
    return undefined;
  }

  /** The rule that refuses one resolved address of the host, or undefined when it is admitted. */
  addressRefusal(host: string, address: string): EgressRefusedError | undefined {
    if (this.hostAllowed(host)) return undefined;
    const ip = ipaddr.process(address);
    if (this.allowedCidrs.some((cidr) => matches(ip, cidr))) return undefined;
    const range = ip.range();
    const rule: EgressRule | undefined = this.clusterCidrs.some((cidr) => matches(ip, cidr))
      ? 'cluster'
      : range === 'unicast'
        ? undefined
        : (RANGE_RULES[range] ?? 'special-purpose');
    if (!rule) return undefined;
    const what = ipaddr.isValid(host) ? `${host} is` : `${host} resolves to ${ip.toString()},`;
    return new EgressRefusedError(
      rule,
      `${what} ${RULE_WORDS[rule]}: refused (rule "${rule}"); an operator can admit it with WEBHOOK_ALLOWED_HOSTS or WEBHOOK_ALLOWED_CIDRS`,
    );
  }

  /**
   * Every address the URL's host resolves to now, each checked: throws EgressRefusedError naming the
   * rule when the scheme or any address is refused (a host with one internal address among public ones
   * is refused, since the connection could go to either).
   */
  async admittedAddresses(url: URL): Promise<ResolvedAddress[]> {
    const scheme = this.schemeRefusal(url);
    if (scheme) throw scheme;
    const host = hostOf(url);
    let addresses: ResolvedAddress[];
    if (ipaddr.isValid(host)) {
      addresses = [{ address: host, family: ipaddr.parse(host).kind() === 'ipv4' ? 4 : 6 }];
    } else {
      try {
        addresses = await this.resolve(host);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        throw new EgressRefusedError(
          'unresolvable',
          `${host} does not resolve (${code}) (rule "unresolvable")`,
        );
      }
      if (addresses.length === 0)
        throw new EgressRefusedError('unresolvable', `${host} has no addresses (rule "unresolvable")`);
    }
    for (const { address } of addresses) {
      const refusal = this.addressRefusal(host, address);
      if (refusal) throw refusal;
    }
    return addresses;
  }

  private hostAllowed(host: string): boolean {
    return this.allowedHosts.some((pattern) =>
      pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern,
    );
  }
}

function matches(ip: ipaddr.IPv4 | ipaddr.IPv6, [range, bits]: Cidr): boolean {
  return ip.kind() === range.kind() && ip.match(range, bits);
}

// OAuth2 bearer tokens (JWT) from an external identity provider, verified with jose against its JWKS
// (fetched and cached by jose, refetched when a token names an unknown key id). The tenant and the
// scopes come from configurable claims.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { AuthError } from './auth-error';
import { isScope, type Scope } from './scopes';

export interface JwtSettings {
  jwksUrl: string;
  issuer?: string;
  audience?: string;
  /** Claim holding the tenant id (default `tenant`). */
  tenantClaim: string;
  /** Claim holding the scopes: a space-separated string (`scope`) or an array (`scp`). */
  scopeClaim: string;
}

export interface VerifiedToken {
  subject: string;
  tenantId: string;
  scopes: Set<Scope>;
  issuer: string;
}

export class JwtVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly settings: JwtSettings) {
    this.jwks = createRemoteJWKSet(new URL(settings.jwksUrl), {
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
    });
  }

  async verify(token: string): Promise<VerifiedToken> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'],
      }));
    } catch (err) {
      throw this.failure(err);
    }
    const tenant = payload[this.settings.tenantClaim];
    if (typeof tenant !== 'string' || tenant.length === 0)
      throw new AuthError(401, 'invalid_claims', `the token has no "${this.settings.tenantClaim}" claim`);
    const raw = payload[this.settings.scopeClaim];
    const granted = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : [];
    return {
      subject: payload.sub ?? '(no subject)',
      tenantId: tenant,
      scopes: new Set(granted.filter((s): s is Scope => typeof s === 'string' && isScope(s))),
      issuer: payload.iss ?? '',
    };
  }

  private failure(err: unknown): AuthError {
    if (err instanceof errors.JWTExpired) return new AuthError(401, 'expired', 'the token has expired');
    if (err instanceof errors.JWTClaimValidationFailed)
      return new AuthError(401, 'invalid_claims', `the token's "${err.claim}" claim is not accepted`);
    if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey)
      return new AuthError(401, 'bad_signature', 'the token signature does not verify');
    if (err instanceof errors.JOSEAlgNotAllowed)
      return new AuthError(
        401,
        'bad_signature',
        'the token is signed with an algorithm that is not accepted',
      );
    if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid)
      return new AuthError(401, 'malformed', 'the token is not a well-formed JWT');
    // The JWKS could not be fetched: the token cannot be checked, so it is not accepted.
    return new AuthError(401, 'bad_signature', 'the token could not be verified (signing keys unavailable)');
  }
}

import { ConfigError } from '../../errors.js';

/**
 * The remote tier's settings, read from the environment and the `remote` part
 * of the configuration. Deliberately tiny and free of heavy imports: it runs
 * before every lookup (a misconfigured remote fails a local hit too), while
 * the remote code itself is loaded only when a lookup misses locally.
 */

/** The `remote` section of cachex.config.* (secrets never come from there). */
export interface RemoteConfig {
  /** HMAC signing of artifacts; on by default. */
  signing?: boolean;
  namespace?: string;
  lease?: boolean;
  /** Bytes; default 100 MiB on the API, 5 GiB on S3. */
  maxArtifactSize?: number;
}

export type RemoteKind = 'api' | 's3';

export interface RemoteSettings {
  kind: RemoteKind;
  /** The server as shown in messages: scheme, host, path, never credentials or query. */
  server: string;
  /** API: the base URL (origin + path prefix). S3: the endpoint URL or the AWS one. */
  url: URL;
  token: string | null;
  team: string | null;
  /** null when signing is turned off. */
  signingKey: Buffer | null;
  namespace: string;
  readOnly: boolean;
  lease: boolean;
  maxArtifactSize: number;
  s3?: S3Settings;
}

export interface S3Settings {
  bucket: string;
  /** Key prefix, '' or ending in '/'. */
  prefix: string;
  region: string;
  /** Path-style requests against a custom endpoint, virtual-hosted against AWS. */
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type SettingsOutcome = { ok: true; settings: RemoteSettings | null } | { ok: false; error: ConfigError };

export const TEAM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MIN_KEY_BYTES = 32;
const MIB = 1024 * 1024;
export const DEFAULT_MAX_ARTIFACT = { api: 100 * MIB, s3: 5 * 1024 * MIB } as const;

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}

function fail(message: string): SettingsOutcome {
  return { ok: false, error: new ConfigError(message) };
}

/**
 * Reads the remote settings. `{ ok: true, settings: null }` means no remote
 * (no URL, or CACHEX_REMOTE=off). Errors are values so the caller decides when
 * to raise them; none of their messages contains a secret.
 */
export function readRemoteSettings(env: NodeJS.ProcessEnv = process.env, config: RemoteConfig = {}): SettingsOutcome {
  const rawUrl = env.CACHEX_REMOTE_URL?.trim();
  if (!rawUrl || env.CACHEX_REMOTE?.trim().toLowerCase() === 'off') return { ok: true, settings: null };
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return fail('CACHEX_REMOTE_URL is not a URL; set it to http(s)://host/… (Turborepo API) or s3://bucket/prefix.');
  }
  if (url.username || url.password)
    return fail('CACHEX_REMOTE_URL must not contain credentials; put the token in CACHEX_REMOTE_TOKEN.');
  const kind: RemoteKind | null =
    url.protocol === 'http:' || url.protocol === 'https:' ? 'api' : url.protocol === 's3:' ? 's3' : null;
  if (!kind) return fail(`CACHEX_REMOTE_URL has the scheme ${url.protocol}; use http://, https:// or s3://.`);

  const team = env.CACHEX_REMOTE_TEAM?.trim() || null;
  if (team !== null && !TEAM_PATTERN.test(team))
    return fail('CACHEX_REMOTE_TEAM must be 1 to 64 letters, digits, "_" or "-"; fix or unset it.');
  const namespace = env.CACHEX_REMOTE_NAMESPACE?.trim() || config.namespace || 'main';
  if (!NAMESPACE_PATTERN.test(namespace))
    return fail(
      'The remote namespace must be 1 to 64 letters, digits, ".", "_" or "-"; fix CACHEX_REMOTE_NAMESPACE or remote.namespace.',
    );

  let signingKey: Buffer | null = null;
  if (config.signing !== false) {
    const key = env.CACHEX_REMOTE_SIGNING_KEY;
    if (!key)
      return fail(
        'CACHEX_REMOTE_SIGNING_KEY is not set; set it (at least 32 bytes) or turn signing off with remote.signing: false.',
      );
    if (Buffer.byteLength(key) < MIN_KEY_BYTES)
      return fail('CACHEX_REMOTE_SIGNING_KEY is shorter than 32 bytes; use a longer random key.');
    signingKey = Buffer.from(key);
  }
  const maxArtifactSize = config.maxArtifactSize ?? DEFAULT_MAX_ARTIFACT[kind];
  if (!Number.isSafeInteger(maxArtifactSize) || maxArtifactSize <= 0)
    return fail('remote.maxArtifactSize must be a positive number of bytes.');

  const common = {
    token: env.CACHEX_REMOTE_TOKEN || null,
    team,
    signingKey,
    namespace,
    readOnly: truthy(env.CACHEX_REMOTE_READ_ONLY),
    lease: config.lease !== false,
    maxArtifactSize,
  };
  if (kind === 'api') {
    if (url.search) return fail('CACHEX_REMOTE_URL must not have a query; put the team in CACHEX_REMOTE_TEAM.');
    const server = url.href.replace(/\/+$/, '');
    return { ok: true, settings: { kind, server, url: new URL(server), ...common } };
  }
  return s3Settings(url, env, common);
}

function s3Settings(
  url: URL,
  env: NodeJS.ProcessEnv,
  common: Omit<RemoteSettings, 'kind' | 'server' | 'url' | 's3'>,
): SettingsOutcome {
  const bucket = url.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    return fail('The bucket in CACHEX_REMOTE_URL is not a valid S3 bucket name; use s3://bucket/prefix.');
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    return fail('An s3:// remote needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment.');
  const region = url.searchParams.get('region') || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const endpointText = url.searchParams.get('endpoint');
  let endpoint: URL;
  try {
    endpoint = endpointText ? new URL(endpointText) : new URL(`https://s3.${region}.amazonaws.com`);
  } catch {
    return fail('The endpoint= in CACHEX_REMOTE_URL is not a URL; use endpoint=https://host:port.');
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:')
    return fail('The endpoint= in CACHEX_REMOTE_URL must be http:// or https://.');
  const pathStyle = Boolean(endpointText);
  let prefix = decodeURIComponent(url.pathname.replace(/^\/+/, ''));
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  const base = pathStyle
    ? new URL(`${endpoint.origin}/${bucket}/`)
    : new URL(`${endpoint.protocol}//${bucket}.${endpoint.host}/`);
  return {
    ok: true,
    settings: {
      kind: 's3',
      server: `s3://${bucket}/${prefix}`,
      url: base,
      ...common,
      s3: { bucket, prefix, region, pathStyle, accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN },
    },
  };
}

/** Every secret the settings hold, so messages can be checked against them. */
export function secretsOf(settings: RemoteSettings): string[] {
  return [
    settings.token,
    settings.signingKey?.toString(),
    settings.s3?.secretAccessKey,
    settings.s3?.sessionToken,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/** Loads the remote tier code; only called after a local miss. */
export async function openRemoteTier(
  settings: RemoteSettings,
  options: import('./tier.js').RemoteTierOptions,
): Promise<import('./tier.js').RemoteTier> {
  const { RemoteTier } = await import('./tier.js');
  return new RemoteTier(settings, options);
}

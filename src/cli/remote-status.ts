import { CachexError } from '../errors.js';
import type { TieredStore } from '../store/tiered.js';

/**
 * `cachex remote status`: the settings as they apply (never a secret), the
 * remote-off state later processes will honour, and one real request with
 * the token. Exit 1 with one sentence when the server refuses the token or
 * cannot be reached.
 */
export async function remoteStatus(store: TieredStore, json: boolean): Promise<number> {
  const tier = await store.remoteTier();
  const s = tier.settings;
  const saved = tier.savedState();
  const offFor = saved.offUntil > Date.now() ? Math.ceil((saved.offUntil - Date.now()) / 1000) : 0;
  const probe = await tier.probe();
  const state = offFor
    ? `off for another ${offFor} s after repeated outages (remote-state.json)`
    : saved.outages
      ? `on (${saved.outages} outage${saved.outages === 1 ? '' : 's'} in a row recorded in remote-state.json)`
      : 'on';
  const credential = s.kind === 's3' ? 'credentials' : 'token';
  const tokenWords =
    probe.status === 'ok'
      ? `${credential} accepted (a GET answered ${probe.code} in ${probe.ms} ms)`
      : probe.status === 'refused'
        ? `${credential} refused (${probe.code})`
        : probe.status === 'answered'
          ? `unclear: a GET answered ${probe.code}${probe.detail ? ` (${probe.detail})` : ''}`
          : `not checked: ${probe.reason}`;
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          backend: s.kind,
          url: s.server,
          team: s.team,
          namespace: s.namespace,
          readOnly: s.readOnly,
          signing: s.signingKey !== null,
          lease: s.lease,
          maxArtifactSize: s.maxArtifactSize,
          token: s.kind === 'api' ? s.token !== null : undefined,
          state: { off: offFor > 0, offForSeconds: offFor, outages: saved.outages },
          check: probe,
        },
        null,
        2,
      )}\n`,
    );
  } else {
    const rows: [string, string][] = [
      ['backend', s.kind === 's3' ? 'S3' : 'Turborepo API'],
      ['url', s.server],
      ...(s.kind === 'api'
        ? ([
            ['team', s.team ?? 'none (no slug sent)'],
            ['token', s.token ? 'set (CACHEX_REMOTE_TOKEN)' : 'none'],
          ] as [string, string][])
        : ([['region', s.s3?.region ?? '']] as [string, string][])),
      ['namespace', s.namespace],
      ['read-only', s.readOnly ? 'yes (CACHEX_REMOTE_READ_ONLY)' : 'no'],
      ['signing', s.signingKey ? 'on (CACHEX_REMOTE_SIGNING_KEY set)' : 'off (remote.signing: false)'],
      ['lease', s.lease ? 'on' : 'off (remote.lease: false)'],
      ['state', state],
      ['check', tokenWords],
    ];
    const width = Math.max(...rows.map(([name]) => name.length)) + 1;
    process.stdout.write(rows.map(([name, value]) => `${`${name}:`.padEnd(width)} ${value}\n`).join(''));
  }
  if (probe.status === 'ok') return 0;
  const what = s.kind === 's3' ? 'the S3 credentials' : 'the token';
  const fix = s.kind === 's3' ? 'check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY' : 'check CACHEX_REMOTE_TOKEN';
  if (probe.status === 'refused')
    throw new CachexError(`The remote ${s.server} refused ${what} (${probe.code}); ${fix}.`);
  if (probe.status === 'answered')
    throw new CachexError(
      `The remote ${s.server} answered ${probe.code}${probe.detail ? ` (${probe.detail})` : ''} to a GET; check CACHEX_REMOTE_URL${s.kind === 'api' ? ' and CACHEX_REMOTE_TEAM' : ''}.`,
    );
  throw new CachexError(
    `The remote ${s.server} cannot be reached (${probe.reason}); check CACHEX_REMOTE_URL and the network.`,
  );
}

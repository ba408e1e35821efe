/**
 * Node parses the NODE_EXTRA_CA_CERTS bundle on every start (30-75 ms of CPU each, on a suite of
 * thousands of spawns); the CLI under test talks only to servers on 127.0.0.1 over plain HTTP, so
 * the test workers and their spawns go without it. It is kept aside for npm, which does reach the
 * registry (test/helpers/pack.ts gives it back).
 */
export function setAsideExtraCaCerts(): void {
  const bundle = process.env.NODE_EXTRA_CA_CERTS;
  if (bundle === undefined) return;
  process.env.CACHEX_TEST_EXTRA_CA_CERTS = bundle;
  delete process.env.NODE_EXTRA_CA_CERTS;
}

/**
 * Runs in every test worker before its files. Node parses the NODE_EXTRA_CA_CERTS bundle on
 * every start (about 30 ms of CPU each, on a suite of thousands of spawns); the CLI under test
 * talks only to servers on 127.0.0.1 over plain HTTP, so its spawns go without it. npm, which
 * does reach the registry, gets it back (test/helpers/pack.ts).
 */
const EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
if (EXTRA_CA_CERTS !== undefined) {
  process.env.CACHEX_TEST_EXTRA_CA_CERTS = EXTRA_CA_CERTS;
  delete process.env.NODE_EXTRA_CA_CERTS;
}

/**
 * Runs in every test worker before its files. The workers are forked without NODE_EXTRA_CA_CERTS
 * (vitest.config.ts); a worker started some other way sets it aside here, for its spawns.
 */
import { setAsideExtraCaCerts } from './extra-ca-certs.js';

setAsideExtraCaCerts();

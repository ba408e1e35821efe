#!/usr/bin/env node
// The CLI is one bundled file: a cache hit then pays for one module load, not sixty.
import '../dist/cli/cachex.mjs';

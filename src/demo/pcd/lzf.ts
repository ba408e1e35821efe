/**
 * LZF, the byte-oriented LZ77 variant of liblzf (Marc Lehmann) that PCL uses for
 * `DATA binary_compressed`. A stream is a sequence of
 *   000LLLLL <L+1 literal bytes>                      literal run of 1–32 bytes
 *   LLLooooo [LLL = 7: one more length byte] oooooooo back reference: copy length + 2 bytes
 *                                                     from (offset + 1) bytes back
 * The npm package for it (lzfjs) builds its output in a plain JS array one byte at a time and
 * calls the deprecated `new Buffer()`, so cachex has its own small decoder and encoder.
 */

/** Thrown for a stream that does not decode to exactly the expected number of bytes. */
export class LzfError extends Error {}

/** Decompresses `input` into exactly `outputLength` bytes. */
export function lzfDecompress(input: Uint8Array, outputLength: number): Uint8Array {
  const out = new Uint8Array(outputLength);
  const inEnd = input.length;
  let ip = 0;
  let op = 0;
  while (ip < inEnd) {
    const ctrl = input[ip++]!;
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (ip + run > inEnd) throw new LzfError(`literal run of ${run} bytes at input byte ${ip - 1} runs past the end`);
      if (op + run > outputLength) throw new LzfError(`data decompresses to more than ${outputLength} bytes`);
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
      continue;
    }
    let len = ctrl >> 5;
    if (len === 7) {
      if (ip >= inEnd) throw new LzfError('back reference cut off at the end of the data');
      len += input[ip++]!;
    }
    if (ip >= inEnd) throw new LzfError('back reference cut off at the end of the data');
    const ref = op - ((ctrl & 0x1f) << 8) - input[ip++]! - 1;
    if (ref < 0) throw new LzfError(`back reference at input byte ${ip} points before the start of the data`);
    len += 2;
    if (op + len > outputLength) throw new LzfError(`data decompresses to more than ${outputLength} bytes`);
    if (op - ref >= len) {
      out.copyWithin(op, ref, ref + len);
      op += len;
    } else {
      // overlapping copy (a repeated pattern): byte by byte, as the format defines it
      for (let r = ref; len > 0; len--) out[op++] = out[r++]!;
    }
  }
  if (op !== outputLength) throw new LzfError(`data decompresses to ${op} bytes, not ${outputLength}`);
  return out;
}

const HLOG = 16;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LIT = 1 << 5;

/** Compresses `input` into an LZF stream (liblzf's greedy hash-chain-free scheme). */
export function lzfCompress(input: Uint8Array): Uint8Array {
  const inEnd = input.length;
  // worst case: one control byte per 32 literals, plus one
  const out = new Uint8Array(inEnd + Math.ceil(inEnd / MAX_LIT) + 16);
  if (inEnd === 0) return out.subarray(0, 0);
  const htab = new Int32Array(1 << HLOG); // position + 1 of the last 3-byte sequence with that hash; 0 = none
  let ip = 0;
  let op = 1; // out[0] is the first literal run's control byte
  let lit = 0;
  while (ip < inEnd - 2) {
    const hval = (input[ip]! << 16) | (input[ip + 1]! << 8) | input[ip + 2]!;
    const slot = Math.imul(hval, 0x9e3779b1) >>> (32 - HLOG);
    const ref = htab[slot]! - 1;
    htab[slot] = ip + 1;
    const off = ip - ref - 1;
    if (
      ref >= 0 &&
      off < MAX_OFF &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      let len = 2;
      const maxlen = Math.min(inEnd - ip - len, MAX_REF);
      if (lit)
        out[op - lit - 1] = lit - 1; // close the literal run
      else op--; // no literal run: drop its control byte
      do len++;
      while (len < maxlen && input[ref + len] === input[ip + len]);
      len -= 2;
      if (len < 7) out[op++] = (off >> 8) + (len << 5);
      else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // control byte of the next literal run
      ip += len + 2;
    } else {
      lit++;
      out[op++] = input[ip++]!;
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++]!;
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  if (lit) out[op - lit - 1] = lit - 1;
  else op--;
  return out.subarray(0, op);
}

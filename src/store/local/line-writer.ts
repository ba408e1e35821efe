import { closeSync, openSync, writeSync } from 'node:fs';

/** Bytes gathered before one write: a manifest line is ~200 bytes, so ~300 lines a system call. */
const BUFFER_BYTES = 64 << 10;

/** Writes all of `bytes` (a regular file takes it in one write unless interrupted or full). */
export function writeAll(fd: number, bytes: Uint8Array, length = bytes.length): void {
  for (let done = 0; done < length; ) done += writeSync(fd, bytes, done, length - done);
}

/**
 * Appends text to a new file through one fixed buffer, so the lines of 10 000
 * outputs go to disk as they are made instead of piling up in memory (issue 14:
 * peak RSS independent of the file count). Not flushed to disk: its reader is
 * this process, and a crash leaves it in a staging folder the sweep removes.
 */
export class LineWriter {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private closed = false;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'w');
  }

  write(text: string): void {
    // A UTF-16 unit is at most 3 bytes of UTF-8: with that much room the whole text fits.
    if (this.used + text.length * 3 > BUFFER_BYTES) this.flush();
    if (text.length * 3 > BUFFER_BYTES) writeAll(this.fd, Buffer.from(text));
    else this.used += this.buffer.write(text, this.used);
  }

  private flush(): void {
    writeAll(this.fd, this.buffer, this.used);
    this.used = 0;
  }

  /** Writes what is buffered and closes the file; without `complete` (a failure) it only closes. */
  close(complete = true): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (complete) this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}

import { createHash, type Hash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

/**
 * Receives one output stream of a run: writes it to the entry's log file,
 * hashes and counts it as it goes, and forwards it live when asked to.
 */
export class LogSink {
  private readonly fd: number;
  private readonly hash: Hash = createHash('sha256');
  size = 0;
  private closed = false;

  constructor(
    file: string,
    private readonly live: NodeJS.WritableStream | null,
  ) {
    this.fd = openSync(file, 'w');
  }

  write(chunk: Buffer): void {
    writeSync(this.fd, chunk);
    this.hash.update(chunk);
    this.size += chunk.length;
    this.live?.write(chunk);
  }

  /** Flushes to disk and returns the record meta.yaml keeps. */
  close(): { size: number; digest: string } {
    if (!this.closed) {
      this.closed = true;
      fsyncSync(this.fd);
      closeSync(this.fd);
    }
    return { size: this.size, digest: this.hash.copy().digest('hex') };
  }
}

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
  /**
   * The first error writing the log file (a full disk, a file too large). The
   * run goes on and its output is still shown live, but it cannot be stored.
   */
  failure: NodeJS.ErrnoException | null = null;

  constructor(
    file: string,
    private readonly live: NodeJS.WritableStream | null,
  ) {
    this.fd = openSync(file, 'w');
  }

  write(chunk: Buffer): void {
    if (!this.failure) {
      try {
        // A full disk can write part of a chunk before failing: write the rest, or fail.
        for (let done = 0; done < chunk.length; ) done += writeSync(this.fd, chunk, done, chunk.length - done);
      } catch (err) {
        this.failure = err as NodeJS.ErrnoException;
      }
    }
    this.hash.update(chunk);
    this.size += chunk.length;
    this.live?.write(chunk);
  }

  /** Flushes to disk and returns the record meta.yaml keeps. */
  close(): { size: number; digest: string } {
    if (!this.closed) {
      this.closed = true;
      try {
        fsyncSync(this.fd);
      } catch (err) {
        this.failure ??= err as NodeJS.ErrnoException;
      }
      try {
        closeSync(this.fd);
      } catch (err) {
        this.failure ??= err as NodeJS.ErrnoException;
      }
    }
    return { size: this.size, digest: this.hash.copy().digest('hex') };
  }
}

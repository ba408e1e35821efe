import { EventEmitter } from 'node:events';
import { fstatSync, writeSync } from 'node:fs';

/**
 * process.stdout and process.stderr for a hit, as plain write(2) calls on fd
 * 1 and 2 when they are pipes, sockets or files: creating Node's own streams
 * loads `net` and `stream` (about 4 ms of a hit's start), and for these kinds
 * of descriptor Node writes synchronously too, so the bytes and their order
 * are the same. A descriptor that may be a terminal (a character device) keeps
 * Node's stream (colour, the spinner and isTTY need it). What Node's stream
 * would do on trouble stays: EPIPE (the reader went away) drops this and later
 * writes and is emitted once as 'error' (closed-pipe.ts: a run goes on, another
 * command exits quietly); anything else —
 * EAGAIN on a pipe someone made non-blocking, an unexpected error — hands the
 * rest of the bytes, and every later write, to Node's own stream.
 */
class FdStream extends EventEmitter {
  readonly isTTY = false;
  readonly writable = true;
  private node: NodeJS.WriteStream | null = null;
  private closed = false;

  constructor(
    readonly fd: 1 | 2,
    private readonly nodeStream: () => NodeJS.WriteStream,
  ) {
    super();
  }

  write(
    chunk: string | Uint8Array,
    encoding?: BufferEncoding | ((err?: Error | null) => void),
    cb?: () => void,
  ): boolean {
    const done = typeof encoding === 'function' ? encoding : cb;
    if (this.node) return this.node.write(chunk, done);
    const bytes =
      typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk;
    let at = 0;
    try {
      while (!this.closed && at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') {
        this.closed = true;
        // Once, after this write, as Node's stream does: closed-pipe.ts decides what it means (a run
        // goes on, `cachex ls | head` exits quietly).
        if (this.listenerCount('error') > 0) process.nextTick(() => this.emit('error', err));
      } else {
        this.node = this.nodeStream();
        // Listeners set so far (handleClosedPipes' 'error') follow the bytes.
        const node: EventEmitter = this.node;
        for (const event of this.eventNames())
          for (const listener of this.rawListeners(event)) node.on(event, listener as (...args: unknown[]) => void);
        return this.node.write(bytes.subarray(at), done);
      }
    }
    if (done) process.nextTick(done);
    return true;
  }
}

function mayBeTerminal(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return true; // closed or odd: Node's own stream knows what to do with it
  }
}

/**
 * Puts FdStreams in place of process.stdout/stderr where the descriptor
 * allows it (before anything has asked for them); returns the function that
 * puts Node's own back, for a hand-over to the full CLI (nothing was written).
 */
export function useFdStreams(): () => void {
  const restore: (() => void)[] = [];
  for (const [name, fd] of [
    ['stdout', 1],
    ['stderr', 2],
  ] as const) {
    const original = Object.getOwnPropertyDescriptor(process, name);
    if (!original?.get || !original.configurable || mayBeTerminal(fd)) continue;
    const stream = new FdStream(fd, () => original.get!.call(process) as NodeJS.WriteStream);
    Object.defineProperty(process, name, { ...original, get: () => stream });
    restore.push(() => Object.defineProperty(process, name, original));
  }
  return () => {
    for (const undo of restore) undo();
  };
}

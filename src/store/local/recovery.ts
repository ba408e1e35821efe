import { EventLog, type RecoveryKind } from '../events.js';
import type { EntryRef, Layout } from '../layout.js';

/**
 * Appends one recovery event to the statistics log (best effort, like every
 * event): what the store repaired, and for which entry when there is one.
 */
export function recordRecovery(
  layout: Layout,
  recovery: RecoveryKind,
  ref: EntryRef | null,
  detail: { bytes?: number; reason?: string } = {},
): void {
  new EventLog(layout.root).append({
    event: 'recovered',
    recovery,
    task: ref?.task ?? '',
    module: ref?.module ?? '',
    key: ref?.key ?? '',
    ...detail,
  });
}

/** The onTakeOver of a key lock: a broken dead or silent holder's lock is counted. */
export function countTakeOver(layout: Layout, ref: EntryRef): { onTakeOver: (holder: 'dead' | 'silent') => void } {
  return { onTakeOver: (holder) => recordRecovery(layout, 'lock-taken-over', ref, { reason: holder }) };
}

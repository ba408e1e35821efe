import { describe, expect, it } from 'vitest';
import { LineState } from '../../src/output/line-state.js';

function positionAfter(...chunks: (string | Buffer)[]): string {
  const state = new LineState();
  for (const chunk of chunks) state.feed(chunk);
  return state.position;
}

describe('where the cursor stands after a write', () => {
  it('at the start of a line after a newline, mid-line after text', () => {
    expect(positionAfter()).toBe('line-start');
    expect(positionAfter('done\n')).toBe('line-start');
    expect(positionAfter('Downloading... ')).toBe('mid-line');
    expect(positionAfter(Buffer.from('a\nb'))).toBe('mid-line');
  });

  it('a \\r progress bar leaves text on the line; erasing it empties the line', () => {
    expect(positionAfter('\r40%')).toBe('mid-line');
    expect(positionAfter('40%\r')).toBe('column-0');
    expect(positionAfter('40%\r\u001b[K')).toBe('line-start');
    expect(positionAfter('40%\u001b[1G\u001b[0K')).toBe('line-start');
    expect(positionAfter('40%\u001b[2K')).toBe('mid-line'); // erased, but the cursor stays at column 3
  });

  it('colour codes after a newline move nothing, even split across writes', () => {
    expect(positionAfter('\u001b[31mred\u001b[39m\n\u001b[0m')).toBe('line-start');
    expect(positionAfter('ok\n\u001b[', '0m')).toBe('line-start');
    expect(positionAfter('ok\n\u001b]0;title\u0007')).toBe('line-start');
  });
});

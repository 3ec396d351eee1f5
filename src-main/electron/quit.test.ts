import { describe, expect, it } from 'vitest';
import { holdQuitUntilClosed } from './quit.ts';

function quitEvent() {
  const event = { prevented: 0, preventDefault: () => void event.prevented++ };
  return event;
}

describe('quitting the desktop app', () => {
  it('holds every quit until the service has closed, closes once, then exits 0', async () => {
    let finishClose!: () => void;
    let closes = 0;
    const exits: number[] = [];
    const onQuit = holdQuitUntilClosed(
      () => {
        closes++;
        return new Promise<void>((resolve) => (finishClose = resolve));
      },
      (code) => exits.push(code),
    );
    const first = quitEvent();
    const second = quitEvent();
    onQuit(first);
    onQuit(second);
    expect([first.prevented, second.prevented, closes]).toEqual([1, 1, 1]);
    await new Promise((r) => setTimeout(r, 10));
    expect(exits).toEqual([]);
    finishClose();
    await new Promise((r) => setTimeout(r, 0));
    expect(exits).toEqual([0]);
  });

  it('still exits, with code 1, when closing the service fails', async () => {
    const exits: number[] = [];
    holdQuitUntilClosed(
      () => Promise.reject(new Error('the database would not close')),
      (code) => exits.push(code),
    )(quitEvent());
    await new Promise((r) => setTimeout(r, 0));
    expect(exits).toEqual([1]);
  });
});

/**
 * One fake clock for the component tests, so that no test depends on the
 * day, the time of day or the time zone it runs at.
 *
 * The monitoring fixtures (`./monitoring`) describe 2026-12-02 09:00–09:30
 * UTC; `FIXTURE_NOW` is a minute after their newest check. Only `Date` is
 * faked, and it keeps moving with real time from there, so polling, Testing
 * Library's `waitFor` and React's scheduler run on real timers as usual.
 */
export const FIXTURE_NOW = Date.UTC(2026, 11, 2, 9, 31);

/** A time on the fixtures' morning: 09:mm:ss UTC on 2026-12-02, as ISO text. */
export const fixtureTime = (minute: number, second = 0) =>
  new Date(Date.UTC(2026, 11, 2, 9, minute, second)).toISOString();

/** Call inside a `describe` (or at the top of a file): `Date` reads the fixture clock in every test. */
export function useFixtureClock(now: number = FIXTURE_NOW) {
  beforeEach(() => {
    jest.useFakeTimers({
      now,
      advanceTimers: true,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  });
  afterEach(() => {
    jest.useRealTimers();
  });
}

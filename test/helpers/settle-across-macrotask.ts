/**
 * Whether `start`'s promise settles in a later macrotask than the one that started it: the proof
 * that the work let the event loop go, free of any timing assumption. `start` runs in one
 * setImmediate callback and a marker in the next one, queued right behind it; Node drains
 * microtasks between the two, so work done on this thread, even inside an async function, settles
 * before the marker runs (`yielded` false), while work handed to libuv's thread pool is answered
 * in a later poll phase, after the marker (`yielded` true).
 */
export function settleAcrossMacrotask<T>(start: () => Promise<T>): Promise<{ value: T; yielded: boolean }> {
  return new Promise((resolve, reject) => {
    let markerRan = false;
    setImmediate(() => {
      start().then((value) => resolve({ value, yielded: markerRan }), reject);
    });
    setImmediate(() => {
      markerRan = true;
    });
  });
}

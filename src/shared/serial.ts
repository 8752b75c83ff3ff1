/**
 * A queue of async steps that run one after another, each starting when the one before has
 * settled (a failed step does not stop the queue; its caller still sees the failure). For
 * read-modify-write of one storage key, or steps that must not interleave.
 */
export function serialQueue(): <T>(step: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(step: () => Promise<T>): Promise<T> => {
    const run = tail.then(step, step);
    tail = run.catch(() => undefined);
    return run;
  };
}

// Hooks may answer synchronously or with a promise. A promise from another library or realm
// (Bluebird, a query builder, a vm context) is not `instanceof Promise`, and taking it for a
// synchronous answer would let a client in without waiting for the decision: test for `then`.

export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

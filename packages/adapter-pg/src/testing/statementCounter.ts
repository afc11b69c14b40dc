import pg from "pg"

/** Counts the statements this process sends through `pg` (every pool and client), by what their text matches. */
export interface StatementCounter {
  /** Statements sent since the counter started (or since `reset`) whose text matches `pattern` (all when omitted). */
  readonly count: (pattern?: RegExp) => number
  readonly reset: () => void
  /** Stops counting; the `pg` client is as it was. */
  readonly stop: () => void
}

/**
 * Starts counting statements at the `pg` client, below every pool, so it sees what reaches the database whichever
 * layer sent it. For tests and benchmarks: one counter at a time.
 */
export const countStatements = (): StatementCounter => {
  const prototype = pg.Client.prototype as unknown as { query: (...args: Array<unknown>) => unknown }
  const original = prototype.query
  let texts: Array<string> = []
  prototype.query = function(this: unknown, ...args: Array<unknown>) {
    const first = args[0]
    const text = typeof first === "string" ? first : (first as { readonly text?: unknown } | null)?.text
    texts.push(typeof text === "string" ? text : "")
    return original.apply(this, args)
  }
  return {
    count: (pattern) => pattern === undefined ? texts.length : texts.filter((text) => pattern.test(text)).length,
    reset: () => {
      texts = []
    },
    stop: () => {
      prototype.query = original
    }
  }
}

import type { Scope } from "effect"
import { Effect } from "effect"
import type { AgentChange } from "./AgentChanges.js"

/** One subscriber's mailbox: what was published since its last take, and the take waiting for more. */
interface Mailbox {
  readonly push: (changes: ReadonlyArray<AgentChange>) => void
  readonly close: () => void
}

/**
 * The in-process fan-out of published changes to every open feed, for implementations of `AgentChanges`. A publish
 * appends to each subscriber's mailbox and wakes its waiting take directly: with a thousand open streams, an event
 * costs a thousand appends, not a thousand queue operations.
 */
export interface ChangeFanout {
  /** Hands a batch (in sequence order) to every current subscriber. */
  readonly publish: (changes: ReadonlyArray<AgentChange>) => void
  /**
   * A subscription for as long as the scope: `take` waits for the next published changes (never an empty batch).
   * Interrupted when the fan-out closes.
   */
  readonly subscribe: Effect.Effect<{ readonly take: Effect.Effect<ReadonlyArray<AgentChange>> }, never, Scope.Scope>
}

/** A fan-out that ends (every waiting take interrupted) when the scope closes. */
export const makeChangeFanout: Effect.Effect<ChangeFanout, never, Scope.Scope> = Effect.gen(function*() {
  const mailboxes = new Set<Mailbox>()
  let closed = false
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      closed = true
      for (const mailbox of mailboxes) mailbox.close()
      mailboxes.clear()
    })
  )

  const open = (): { readonly mailbox: Mailbox; readonly take: Effect.Effect<ReadonlyArray<AgentChange>> } => {
    let buffered: Array<AgentChange> = []
    let waiting: ((effect: Effect.Effect<ReadonlyArray<AgentChange>>) => void) | undefined
    let ended = closed
    const mailbox: Mailbox = {
      push: (changes) => {
        if (changes.length === 0) return
        // A take waits only while nothing is buffered: hand it the batch as it is.
        const resume = waiting
        if (resume !== undefined) {
          waiting = undefined
          resume(Effect.succeed(changes))
          return
        }
        for (const change of changes) buffered.push(change)
      },
      close: () => {
        ended = true
        const resume = waiting
        waiting = undefined
        resume?.(Effect.interrupt)
      }
    }
    const take = Effect.callback<ReadonlyArray<AgentChange>>((resume) => {
      if (buffered.length > 0) {
        const batch = buffered
        buffered = []
        resume(Effect.succeed(batch))
        return
      }
      if (ended) {
        resume(Effect.interrupt)
        return
      }
      waiting = resume
      return Effect.sync(() => {
        if (waiting === resume) waiting = undefined
      })
    })
    return { mailbox, take }
  }

  return {
    publish: (changes) => {
      for (const mailbox of mailboxes) mailbox.push(changes)
    },
    subscribe: Effect.acquireRelease(
      Effect.sync(() => {
        const subscription = open()
        if (!closed) mailboxes.add(subscription.mailbox)
        return subscription
      }),
      (subscription) => Effect.sync(() => void mailboxes.delete(subscription.mailbox))
    ).pipe(Effect.map(({ take }) => ({ take })))
  }
})

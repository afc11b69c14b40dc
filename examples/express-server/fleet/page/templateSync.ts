// A gateway's template sync with its progress: POST /api/v1/gateways/{id}/templates/sync with
// `Accept: text/event-stream` answers one `progress` event per agent (`index` of `total`), then the `result`.
import type { SyncProgress, SyncResult } from "@mission-control/core"
import { GatewayId } from "@mission-control/core"
import { Data, Effect, Schema, Stream } from "effect"
import type { Client } from "./api.js"

/** The sync's stream ended before its result: the connection broke, or the server stopped. */
export class SyncInterrupted extends Data.TaggedError("SyncInterrupted")<{ readonly detail: string }> {}

/** Runs the sync with the API's default flags, calling `onProgress` per agent; answers the sync's result. */
export const syncTemplates = (
  client: Client,
  gatewayId: string,
  onProgress: (progress: SyncProgress) => void
) =>
  Effect.gen(function*() {
    const answer = yield* client.gateways.syncTemplates({
      params: { gateway_id: yield* Schema.decodeEffect(GatewayId)(gatewayId) },
      query: {},
      headers: { accept: "text/event-stream" }
    })
    if (!Stream.isStream(answer)) return answer // a server that answers JSON whatever is asked
    let result: SyncResult | undefined
    yield* Stream.runForEach(answer, (event) =>
      Effect.sync(() => {
        if (event.event === "progress") onProgress(event.data)
        else result = event.data
      }))
    if (result === undefined) return yield* new SyncInterrupted({ detail: "The sync ended before its result." })
    return result
  })

import type { Duration } from "effect"
import { Effect, Schedule, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { SsePingInterval } from "./options.js"

const sseHeaders = { "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" }

const ping = () => `: ping - ${new Date().toISOString().replace("T", " ").replace("Z", "")}\r\n\r\n`

/**
 * An SSE response of `frames` (each a complete frame, `\r\n\r\n`-terminated), with keep-alive pings while it is open,
 * the first one at once. The typed SSE encoder would hold the headers until the first event and never ping. The endpoint
 * stays declared with its event schema, for the OpenAPI document and the typed client.
 */
export const sseResponse = <E>(frames: Stream.Stream<string, E>) =>
  Effect.map(Effect.service(SsePingInterval), (interval: Duration.Duration) => {
    // The first ping goes out at once: a server sends a response's headers with its first bytes, and a client
    // waits for the headers before it reads any frame.
    const pings = Stream.concat(
      Stream.sync(ping),
      Stream.fromSchedule(Schedule.spaced(interval)).pipe(Stream.map(ping))
    )
    const body = Stream.merge(frames, pings, { haltStrategy: "left" })
    return HttpServerResponse.stream(Stream.encodeText(body), { contentType: "text/event-stream", headers: sseHeaders })
  })

/** One SSE frame. */
export const sseFrame = (event: string, data: string, id?: string): string =>
  id === undefined
    ? `event: ${event}\r\ndata: ${data}\r\n\r\n`
    : `event: ${event}\r\nid: ${id}\r\ndata: ${data}\r\n\r\n`

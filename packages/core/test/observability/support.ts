// The API over a web handler built from the one HTTP effect (what a host mounts), spans read back from the recorder.
import type { MissionControlServices, User } from "@mission-control/core"
import { makeHttpEffect, UserAuthenticator } from "@mission-control/core/http"
import type { Context, Scope, Tracer } from "effect"
import { Effect, Layer, Metric } from "effect"
import type { HttpServerResponse } from "effect/http"
import { HttpEffect, HttpServer } from "effect/http"

/** What a request answered. */
export interface Answer {
  readonly status: number
  readonly body: string
}

/** Sends requests to the API as the host's `user` (`Authorization: Bearer user`), or as an agent with a token. */
export type Send = (
  method: string,
  path: string,
  options?: { readonly body?: unknown; readonly agentToken?: string; readonly accept?: string }
) => Effect.Effect<Answer>

const webHandler = <R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, unknown, R>,
  context: Context.Context<MissionControlServices>
) => HttpEffect.toWebHandlerWith<MissionControlServices, R>(context)(app)

/** The API on the current services, as the host's user is authenticated by `Authorization: Bearer user`. */
export const serveApi = (
  user: User
): Effect.Effect<Send, never, MissionControlServices | Scope.Scope> =>
  Effect.gen(function*() {
    const authenticator = Layer.succeed(UserAuthenticator, {
      authenticate: (request) => Effect.succeed(request.headers["authorization"] === "Bearer user" ? user : undefined)
    })
    const app = yield* makeHttpEffect().pipe(Effect.provide(Layer.merge(authenticator, HttpServer.layerServices)))
    // The services are the handler's base context, as a host's runtime is: Effect's server span wraps each request
    // when a tracer is there.
    const handler = webHandler(app, yield* Effect.context<MissionControlServices>())
    return (method, path, options = {}) =>
      Effect.promise(async () => {
        const headers: Record<string, string> = options.agentToken === undefined
          ? { authorization: "Bearer user" }
          : { "x-agent-token": options.agentToken }
        if (options.body !== undefined) headers["content-type"] = "application/json"
        if (options.accept !== undefined) headers["accept"] = options.accept
        const response = await handler(
          new Request(`http://localhost${path}`, {
            method,
            headers,
            ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
          })
        )
        return { status: response.status, body: await response.text() }
      })
  })

/** A fresh metric registry, so a test reads only its own series. */
export const withFreshMetrics = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.provideService(effect, Metric.MetricRegistry, new Map())

/** The span's parent span, when it was started here. */
export const parentOf = (span: Tracer.Span, spans: ReadonlyArray<Tracer.Span>): Tracer.Span | undefined => {
  const parent = span.parent
  return parent._tag === "Some" ? spans.find((candidate) => candidate.spanId === parent.value.spanId) : undefined
}

/** The first span of that name, failing the test when there is none. */
export const spanNamed = (spans: ReadonlyArray<Tracer.Span>, name: string): Tracer.Span => {
  const found = spans.find((span) => span.name === name)
  if (found === undefined) throw new Error(`no span ${name} among ${spans.map((span) => span.name).join(", ")}`)
  return found
}

/** The names of the span's ancestors, nearest first. */
export const ancestry = (span: Tracer.Span, spans: ReadonlyArray<Tracer.Span>): ReadonlyArray<string> => {
  const names: Array<string> = []
  let current = parentOf(span, spans)
  while (current !== undefined) {
    names.push(current.name)
    current = parentOf(current, spans)
  }
  return names
}

/** Every attribute value of every span, as text: where a secret must not be. */
export const everyAttributeText = (spans: ReadonlyArray<Tracer.Span>): string =>
  spans.map((span) => JSON.stringify([...span.attributes])).join("\n")

/** Every attribute key of every span: none may name a token or a secret. */
export const everyAttributeKey = (
  spans: ReadonlyArray<Tracer.Span>
): ReadonlyArray<string> => [...new Set(spans.flatMap((span) => [...span.attributes.keys()]))]

/** A span of a SQL statement (on the Postgres store). */
export const isDatabaseSpan = (span: Tracer.Span): boolean => span.attributes.has("db.system.name")

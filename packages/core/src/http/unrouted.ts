import { Effect } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { reason } from "../errors.js"
import { apiPrefix, MissionControlApi, openApiPath } from "./Api.js"
import { requestIdOf } from "./envelope.js"

interface RouteShape {
  readonly pattern: RegExp
  readonly methods: Array<string>
}

/** Every path of the API with the methods it takes, from the definition. */
const routeShapes = (): ReadonlyArray<RouteShape> => {
  const byPath = new Map<string, RouteShape>()
  for (const group of Object.values(MissionControlApi.groups)) {
    for (const endpoint of Object.values(group.endpoints)) {
      const path = endpoint.path
      const shape = byPath.get(path) ?? {
        pattern: new RegExp(`^${path.replace(/:[^/]+/g, "[^/]+")}/?$`),
        methods: []
      }
      shape.methods.push(endpoint.method)
      byPath.set(path, shape)
    }
  }
  // The OpenAPI document is a route of the builder, not of an endpoint.
  byPath.set(openApiPath, { pattern: new RegExp(`^${openApiPath}$`), methods: ["GET"] })
  return [...byPath.values()]
}

// Every method but HEAD: the router answers a HEAD that no route takes as the GET of the same path.
const fallbackMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const

/**
 * Every request under the prefix that no route takes is answered in the API's JSON, as FastAPI answers (never a
 * host's HTML page): a known path asked with another method is a 405 with the methods it takes, anything else a 404.
 */
export const layerUnrouted = HttpRouter.use((router) => {
  const shapes = routeShapes()
  const answer = Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const requestId = requestIdOf(request.headers["x-request-id"])
    const path = request.url.split("?", 1)[0]!
    const known = shapes.find((shape) => shape.pattern.test(path))
    const headers = { "x-request-id": requestId }
    if (known === undefined) {
      return HttpServerResponse.jsonUnsafe({ detail: reason.notFound, request_id: requestId }, { status: 404, headers })
    }
    const allow = known.methods.includes("GET") ? [...known.methods, "HEAD"] : known.methods
    return HttpServerResponse.jsonUnsafe({ detail: "Method Not Allowed", request_id: requestId }, {
      status: 405,
      headers: { ...headers, allow: allow.join(", ") }
    })
  })
  return Effect.forEach(fallbackMethods, (method) => router.add(method, `${apiPrefix}/*`, answer), { discard: true })
})

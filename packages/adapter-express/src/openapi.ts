import {
  AgentCreate,
  AgentHeartbeat,
  AgentHeartbeatCreate,
  AgentRead,
  AgentUpdate,
  GatewayCreate,
  GatewayRead,
  GatewayUpdate,
  OkResponse,
  PageOf,
  SyncResult
} from "@mission-control/core"
import { Schema } from "effect"

// The wire (encoded) side, every part inline: the document has no `$defs` of its own to point into.
const schemaOf = (schema: Schema.Top) =>
  Schema.toJsonSchemaDocument(schema, { referencePolicy: () => undefined }).schema

const json = (schema: Schema.Top) => ({ content: { "application/json": { schema: schemaOf(schema) } } })
const errors = (...statuses: Array<number>) =>
  Object.fromEntries(statuses.map((status) => [String(status), {
    description: status === 422
      ? "Validation error: detail is a list of {loc, msg, type}"
      : "Error: {detail, request_id}",
    content: {
      "application/json": { schema: { type: "object", properties: { detail: {}, request_id: { type: "string" } } } }
    }
  }]))
const uuid = (name: string, location: "path" | "query", required = location === "path") => ({
  name,
  in: location,
  required,
  schema: { type: "string", format: "uuid" }
})
const flag = (name: string, fallback: boolean) => ({
  name,
  in: "query",
  required: false,
  schema: { type: "boolean", default: fallback }
})
const page = [
  { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 200, default: 200 } },
  { name: "offset", in: "query", required: false, schema: { type: "integer", minimum: 0, default: 0 } }
]
const userAuth = [{ user: [] }]
const agentAuth = [{ agentToken: [] }]
const either = [{ user: [] }, { agentToken: [] }]

/** The OpenAPI 3.1 document of the router's routes, generated from the core's schemas. */
export const openApiDocument = (basePath = "") => ({
  openapi: "3.1.0",
  info: { title: "Mission Control API", version: "0.1.0" },
  servers: [{ url: basePath === "" ? "/" : basePath }],
  components: {
    securitySchemes: {
      user: { type: "http", scheme: "bearer", description: "The host application's user authentication" },
      agentToken: { type: "apiKey", in: "header", name: "X-Agent-Token" }
    }
  },
  paths: {
    "/agents": {
      get: {
        summary: "List agents",
        security: userAuth,
        parameters: [uuid("board_id", "query"), uuid("gateway_id", "query"), ...page],
        responses: { 200: json(PageOf(AgentRead)), ...errors(401, 403, 404, 422) }
      },
      post: {
        summary: "Create an agent (org admin, or a board lead for its board)",
        security: either,
        requestBody: json(AgentCreate),
        responses: { 200: json(AgentRead), ...errors(401, 403, 404, 409, 422, 500, 502) }
      }
    },
    "/agents/stream": {
      get: {
        summary: "Stream agent changes (SSE: event agent, id = change sequence; Last-Event-ID resumes)",
        security: userAuth,
        parameters: [uuid("board_id", "query"), {
          name: "since",
          in: "query",
          required: false,
          schema: { type: "string" }
        }],
        responses: { 200: { description: "text/event-stream" }, ...errors(401, 403, 422) }
      }
    },
    "/agents/heartbeat": {
      post: {
        summary: "Heartbeat by name, creating the agent when missing",
        security: either,
        requestBody: json(AgentHeartbeatCreate),
        responses: { 200: json(AgentRead), ...errors(401, 403, 404, 422, 500, 502) }
      }
    },
    "/agents/{agent_id}": {
      get: {
        summary: "Get an agent",
        security: userAuth,
        parameters: [uuid("agent_id", "path")],
        responses: { 200: json(AgentRead), ...errors(401, 403, 404) }
      },
      patch: {
        summary: "Update an agent",
        security: userAuth,
        parameters: [uuid("agent_id", "path"), flag("force", false)],
        requestBody: json(AgentUpdate),
        responses: { 200: json(AgentRead), ...errors(401, 403, 404, 409, 422, 500, 502) }
      },
      delete: {
        summary: "Delete an agent",
        security: userAuth,
        parameters: [uuid("agent_id", "path")],
        responses: { 200: json(OkResponse), ...errors(401, 403, 404, 422, 500, 502) }
      }
    },
    "/agents/{agent_id}/heartbeat": {
      post: {
        summary: "Heartbeat of an agent",
        security: either,
        parameters: [uuid("agent_id", "path")],
        requestBody: json(AgentHeartbeat),
        responses: { 200: json(AgentRead), ...errors(401, 403, 404, 422) }
      }
    },
    "/agent/agents": {
      get: {
        summary: "Agents of the calling agent's board (or organization)",
        security: agentAuth,
        parameters: [uuid("board_id", "query"), ...page],
        responses: { 200: json(PageOf(AgentRead)), ...errors(401, 403, 422) }
      },
      post: {
        summary: "A board lead creates an agent on its board",
        security: agentAuth,
        requestBody: json(AgentCreate),
        responses: { 200: json(AgentRead), ...errors(401, 403, 409, 422, 500, 502) }
      }
    },
    "/agent/heartbeat": {
      post: {
        summary: "Heartbeat of the calling agent",
        security: agentAuth,
        requestBody: json(AgentHeartbeatCreate),
        responses: { 200: json(AgentRead), ...errors(401, 422) }
      }
    },
    "/agent/boards/{board_id}/agents/{agent_id}": {
      delete: {
        summary: "A board lead deletes a worker of its board",
        security: agentAuth,
        parameters: [uuid("board_id", "path"), uuid("agent_id", "path")],
        responses: { 200: json(OkResponse), ...errors(401, 403, 404, 500, 502) }
      }
    },
    "/boards/{board_id}/lead": {
      post: {
        summary: "Ensure the board's lead agent",
        security: either,
        parameters: [uuid("board_id", "path")],
        responses: {
          200: { description: "{agent: AgentRead, created: boolean}" },
          ...errors(401, 403, 404, 409, 422, 500, 502)
        }
      }
    },
    "/gateways": {
      get: {
        summary: "List gateways",
        security: userAuth,
        parameters: page,
        responses: { 200: json(PageOf(GatewayRead)), ...errors(401, 403, 422) }
      },
      post: {
        summary: "Register a gateway",
        security: userAuth,
        requestBody: json(GatewayCreate),
        responses: { 200: json(GatewayRead), ...errors(401, 403, 422, 500, 502) }
      }
    },
    "/gateways/{gateway_id}": {
      get: {
        summary: "Get a gateway",
        security: userAuth,
        parameters: [uuid("gateway_id", "path")],
        responses: { 200: json(GatewayRead), ...errors(401, 403, 404) }
      },
      patch: {
        summary: "Update a gateway",
        security: userAuth,
        parameters: [uuid("gateway_id", "path")],
        requestBody: json(GatewayUpdate),
        responses: { 200: json(GatewayRead), ...errors(401, 403, 404, 422, 500, 502) }
      },
      delete: {
        summary: "Delete a gateway",
        security: userAuth,
        parameters: [uuid("gateway_id", "path")],
        responses: { 200: json(OkResponse), ...errors(401, 403, 404, 409) }
      }
    },
    "/gateways/{gateway_id}/templates/sync": {
      post: {
        summary:
          "Sync workspace templates (JSON result; with Accept: text/event-stream, progress events then the result)",
        security: userAuth,
        parameters: [
          uuid("gateway_id", "path"),
          flag("include_main", true),
          flag("reset_sessions", false),
          flag("rotate_tokens", false),
          flag("force_bootstrap", false),
          uuid("board_id", "query")
        ],
        responses: { 200: json(SyncResult), ...errors(401, 403, 404, 422, 500, 502) }
      }
    }
  }
})

// The HTTP envelope over real sockets, on Express 5 and 4: body size limit (413), content types (415), unknown
// routes (404) and methods (405), each answered in FastAPI's JSON shape and leaving the server able to serve the next
// request.
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { closeSharedTestDatabase } from "@mission-control/adapter-pg/testing"
import express5 from "express"
import express4 from "express4"
import { startApi } from "./harness.js"

afterAll(closeSharedTestDatabase)

const megabyte = 1024 * 1024

/** A JSON body of about `bytes` bytes. */
const bodyOf = (bytes: number) => new TextEncoder().encode(JSON.stringify({ name: "x".repeat(bytes) }))

/** The same bytes as a stream, so that the request has no `Content-Length` (sent chunked). */
const streamOf = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let offset = 0; offset < bytes.length; offset += 64 * 1024) {
        controller.enqueue(bytes.subarray(offset, offset + 64 * 1024))
      }
      controller.close()
    }
  })

type Api = Awaited<ReturnType<typeof startApi>>

/** POSTs `body` to `/agents` with fetch: a real client, which reads the answer while it is still sending. */
const post = (target: Api, body: Uint8Array | ReadableStream<Uint8Array>) =>
  fetch(`${target.base}/agents`, {
    method: "POST",
    headers: { authorization: `Bearer ${target.tokenFor(target.world.owner)}`, "content-type": "application/json" },
    body,
    ...(body instanceof ReadableStream ? { duplex: "half" } : {})
  } as RequestInit)

for (const [version, createApp] of [["Express 5", express5], ["Express 4", express4]] as const) {
  describe(`HTTP envelope on ${version}`, () => {
    // One API at a time: each starts on a fresh database.
    let api: Api
    beforeAll(async () => {
      api = await startApi(createApp as never)
    }, 120_000)
    afterAll(async () => {
      await api.stop()
    })

    const owner = () => ({ authorization: `Bearer ${api.tokenFor(api.world.owner)}` })
    const agentCount = async () => (await api.call("GET", "/agents", { user: api.world.owner })).body.total as number

    it("2 MB and 50 MB bodies: 413 in JSON, with or without Content-Length; the next request is served", async () => {
      const before = await agentCount()
      for (const size of [2 * megabyte, 50 * megabyte]) {
        const bytes = bodyOf(size)
        for (const body of [bytes, streamOf(bytes)]) {
          const response = await post(api, body)
          assert.strictEqual(response.status, 413)
          assert.strictEqual(response.headers.get("content-type"), "application/json")
          const answer = await response.json() as { detail: unknown; request_id: unknown }
          assert.strictEqual(answer.detail, "Request body too large")
          assert.isString(answer.request_id)
          // The next request, on a new connection (the refused one is closed), is served as usual.
          const next = await api.call("GET", "/agents", { user: api.world.owner })
          assert.strictEqual(next.status, 200)
        }
      }
      assert.strictEqual(await agentCount(), before)
    }, 60_000)

    it("text/plain and form bodies: 415, nothing stored; no content type is read as JSON; +json types are JSON", async () => {
      const before = await agentCount()
      const body = { board_id: api.world.board.id, name: "Typed" }
      for (const contentType of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"]) {
        const refused = await api.call("POST", "/agents", { user: api.world.owner, body, contentType })
        assert.deepStrictEqual([refused.status, refused.body.detail], [
          415,
          "Unsupported Media Type: expected application/json"
        ], contentType)
      }
      // Also on a route whose body may be empty, and on a multipart form.
      const beat = await api.call("POST", `/boards/${api.world.board.id}/lead`, {
        user: api.world.owner,
        raw: "",
        contentType: "multipart/form-data; boundary=x"
      })
      assert.strictEqual(beat.status, 415)
      assert.strictEqual(await agentCount(), before)

      const untyped = await api.call("POST", "/agents", { user: api.world.owner, body, contentType: null })
      assert.deepStrictEqual([untyped.status, untyped.body.name], [200, "Typed"])
      const vendor = await api.call("POST", "/agents", {
        user: api.world.owner,
        body: { ...body, name: "Vendor Typed" },
        contentType: "application/vnd.api+json; charset=utf-8"
      })
      assert.deepStrictEqual([vendor.status, vendor.body.name], [200, "Vendor Typed"])
      const charset = await api.call("POST", "/agents", {
        user: api.world.owner,
        body: { ...body, name: "Charset Typed" },
        contentType: "Application/JSON; charset=utf-8"
      })
      assert.strictEqual(charset.status, 200)
    })

    it("unknown routes: 404 {detail: Not Found} in JSON, never Express's HTML page", async () => {
      for (const [method, path] of [["GET", "/nope"], ["POST", "/agents/x/y/z"], ["DELETE", "/"], ["GET", "/boardz"]]) {
        const response = await fetch(`${api.base}${path}`, { method: method!, headers: owner() })
        assert.strictEqual(response.status, 404, `${method} ${path}`)
        assert.strictEqual(response.headers.get("content-type"), "application/json")
        assert.strictEqual((await response.json() as { detail: unknown }).detail, "Not Found")
      }
    })

    it("a known path with another method: 405 {detail: Method Not Allowed} with Allow", async () => {
      for (
        const [method, path, allow] of [
          ["PUT", "/agents", "GET, POST, HEAD"],
          ["POST", "/agents/stream", "GET, HEAD"],
          ["GET", "/agent/heartbeat", "POST"],
          ["PUT", `/gateways/${api.world.gateway.id}`, "GET, PATCH, DELETE, HEAD"],
          ["GET", `/gateways/${api.world.gateway.id}/templates/sync`, "POST"],
          ["OPTIONS", "/agent/agents", "GET, POST, HEAD"]
        ]
      ) {
        const response = await fetch(`${api.base}${path}`, { method: method!, headers: owner() })
        assert.strictEqual(response.status, 405, `${method} ${path}`)
        assert.strictEqual(response.headers.get("allow"), allow)
        assert.strictEqual(response.headers.get("content-type"), "application/json")
        assert.strictEqual((await response.json() as { detail: unknown }).detail, "Method Not Allowed")
      }
    })
  })

  describe(`body limit option on ${version}`, () => {
    let small: Api
    beforeAll(async () => {
      small = await startApi(createApp as never, undefined, { bodyLimitBytes: 1024 })
    }, 120_000)
    afterAll(async () => {
      await small.stop()
    })

    it("the limit is the router's option: 1 KiB refuses a 2 KiB body, accepts a small one", async () => {
      const refused = await post(small, bodyOf(2048))
      assert.deepStrictEqual([refused.status, (await refused.json() as { detail: unknown }).detail], [
        413,
        "Request body too large"
      ])
      const streamed = await post(small, streamOf(bodyOf(2048)))
      assert.strictEqual(streamed.status, 413)
      await streamed.body?.cancel()
      const accepted = await small.call("POST", "/agents", {
        user: small.world.owner,
        body: { board_id: small.world.board.id, name: "Small" }
      })
      assert.strictEqual(accepted.status, 200)
      // Under the limit a long name is only a name too long.
      const tooLong = await small.call("POST", "/agents", { user: small.world.owner, body: { name: "x".repeat(900) } })
      assert.deepStrictEqual([tooLong.status, tooLong.body.detail[0].type], [422, "string_too_long"])
    })
  })
}

// A closed-loop HTTP load generator, run in a worker thread so that it does not share the server's event loop.
// Each of `concurrency` clients sends its next request as soon as the previous one is answered, on keep-alive
// sockets, and counts the answers that arrive in the `durationMs` after `warmupMs`: completed requests, failures and latencies.
import { request, Agent } from "node:http"
import { parentPort, workerData } from "node:worker_threads"

const { url, method, clients, body, concurrency, durationMs, warmupMs } = workerData
const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
const target = new URL(url)
const payload = Buffer.from(JSON.stringify(body))

const send = (headers) =>
  new Promise((resolve) => {
    const outgoing = request({
      agent,
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method,
      headers: { ...headers, "content-type": "application/json", "content-length": payload.length }
    }, (response) => {
      response.resume()
      response.on("end", () => resolve(response.statusCode))
    })
    outgoing.on("error", () => resolve(0))
    outgoing.end(payload)
  })

const started = performance.now()
const measureFrom = started + warmupMs
const stopAt = measureFrom + durationMs
let completed = 0
const failures = {}
const latencies = []

await Promise.all(Array.from({ length: concurrency }, async (_, index) => {
  for (let sent = 0; performance.now() < stopAt; sent++) {
    const headers = clients[(index + sent * concurrency) % clients.length]
    const begun = performance.now()
    const status = await send(headers)
    const ended = performance.now()
    if (ended < measureFrom || ended > stopAt) continue
    if (status === 200) {
      completed++
      latencies.push(ended - begun)
    } else {
      failures[status] = (failures[status] ?? 0) + 1
    }
  }
}))
agent.destroy()
parentPort.postMessage({ completed, failures, latencies, durationMs })

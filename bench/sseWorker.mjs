// Opens many SSE streams, then sends heartbeats and times each one's arrival on every stream. Runs in a worker thread
// or its own process so that reading 1,000 streams does not share the server's event loop.
//   in:  workerData { streamUrl, streamHeaders, streams, beatUrl, beats: [{ headers, status }], spacingMs, settleMs }
//   out: { phase: "open", opened } — then on "beat": { phase: "done", latencies, missing } — then on "close": exit
import { request } from "node:http"
import { parentPort, workerData } from "node:worker_threads"

const { streamUrl, streamHeaders, streams, beatUrl, beats, spacingMs, settleMs } = workerData
const now = () => performance.timeOrigin + performance.now()
const sentAt = new Map() // status → time sent
const arrivals = beats.map(() => []) // per beat: latency on each stream
const requests = []

const openStream = () =>
  new Promise((resolve) => {
    const seen = new Set()
    const outgoing = request(streamUrl, { headers: streamHeaders, agent: false }, (response) => {
      if (response.statusCode !== 200) {
        response.resume()
        return resolve(false)
      }
      response.setEncoding("utf8")
      let buffer = ""
      response.on("data", (chunk) => {
        buffer += chunk
        let end = buffer.indexOf("\r\n\r\n")
        while (end >= 0) {
          const frame = buffer.slice(0, end)
          buffer = buffer.slice(end + 4)
          end = buffer.indexOf("\r\n\r\n")
          if (!frame.startsWith("event: agent")) continue
          const data = frame.slice(frame.indexOf("data: ") + 6)
          const status = JSON.parse(data).agent.status
          const sent = sentAt.get(status)
          if (sent === undefined || seen.has(status)) continue
          seen.add(status)
          arrivals[beats.findIndex((beat) => beat.status === status)].push(now() - sent)
        }
      })
      response.on("error", () => {})
      resolve(true)
    })
    outgoing.on("error", () => resolve(false))
    outgoing.end()
    requests.push(outgoing)
  })

const post = (headers, body) =>
  new Promise((resolve) => {
    const payload = JSON.stringify(body)
    const outgoing = request(beatUrl, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
    }, (response) => {
      response.resume()
      response.on("end", () => resolve(response.statusCode))
    })
    outgoing.on("error", () => resolve(0))
    outgoing.end(payload)
  })

let opened = 0
for (let index = 0; index < streams; index += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, streams - index) }, openStream))
  opened += batch.filter(Boolean).length
}
parentPort.postMessage({ phase: "open", opened })

parentPort.on("message", async (message) => {
  if (message === "beat") {
    const statuses = []
    for (const beat of beats) {
      sentAt.set(beat.status, now())
      statuses.push(await post(beat.headers, { name: "bench", status: beat.status }))
      await new Promise((resolve) => setTimeout(resolve, spacingMs))
    }
    const deadline = now() + settleMs
    while (now() < deadline && arrivals.some((list) => list.length < opened)) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const missing = arrivals.reduce((sum, list) => sum + (opened - list.length), 0)
    parentPort.postMessage({ phase: "done", latencies: arrivals.flat(), missing, statuses })
  } else if (message === "close") {
    for (const outgoing of requests) outgoing.destroy()
    process.exit(0)
  }
})
